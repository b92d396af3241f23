package io.chatmesh.internal;

import io.chatmesh.NodeId;
import io.chatmesh.time.ChatClock;
import io.chatmesh.twopc.TwoPhaseCommit;
import io.chatmesh.twopc.TwoPhaseCommit.Outcome;
import io.chatmesh.twopc.TwoPhaseCommit.Participant;
import io.chatmesh.twopc.TwoPhaseCommit.Result;
import io.chatmesh.twopc.TwoPhaseCommit.Transaction;
import io.chatmesh.twopc.TwoPhaseCommit.Vote;
import io.chatmesh.wire.Decision;
import io.chatmesh.wire.DecisionQuery;
import io.chatmesh.wire.Prepare;
import io.chatmesh.wire.TxKind;
import io.chatmesh.wire.WireMessage;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Coordinator and participant protocol of two-phase commit; the rules are in {@code
 * io.chatmesh.twopc}'s package documentation. All state lives on the node lane ({@code lane}); every
 * public entry point hops onto it.
 */
final class TwoPhaseCommitEngine implements TwoPhaseCommit.Coordinator {
  private static final Logger log = LoggerFactory.getLogger(TwoPhaseCommitEngine.class);
  private static final int DECISION_LOG_SIZE = 100_000;

  private final NodeId self;
  private final long incarnation;
  private final Executor lane;
  private final ChatClock clock;
  private final Duration prepareTimeout;
  private final BiConsumer<NodeId, WireMessage> send;
  private final Predicate<NodeId> isAlive;
  private final Map<TxKind, Participant> participants = new EnumMap<>(TxKind.class);
  private final Map<String, Running> running = new HashMap<>();
  private final Map<String, Boolean> decisions =
      new LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > DECISION_LOG_SIZE;
        }
      };
  private final Map<String, InDoubt> inDoubt = new HashMap<>();
  private long counter;

  TwoPhaseCommitEngine(
      NodeId self,
      long incarnation,
      Executor lane,
      ChatClock clock,
      Duration prepareTimeout,
      BiConsumer<NodeId, WireMessage> send,
      Predicate<NodeId> isAlive) {
    this.self = self;
    this.incarnation = incarnation;
    this.lane = lane;
    this.clock = clock;
    this.prepareTimeout = prepareTimeout;
    this.send = send;
    this.isAlive = isAlive;
  }

  void register(TxKind kind, Participant participant) {
    participants.put(kind, participant);
  }

  // ---------------------------------------------------------------- coordinator

  @Override
  public CompletableFuture<Result> execute(TxKind kind, String room, Set<NodeId> members) {
    CompletableFuture<Result> result = new CompletableFuture<>();
    lane.execute(() -> start(kind, room, new TreeSet<>(members), result));
    return result;
  }

  private void start(TxKind kind, String room, Set<NodeId> members, CompletableFuture<Result> result) {
    String id = self + "/" + incarnation + "/" + (++counter);
    Transaction tx = new Transaction(id, kind, room, self);
    Running r = new Running(tx, members, result);
    running.put(id, r);
    r.timer =
        clock.schedule(
            prepareTimeout,
            () -> lane.execute(() -> {
              if (running.get(id) == r) {
                Set<NodeId> missing = new TreeSet<>(r.members);
                missing.removeAll(r.ready);
                decide(r, false, "no vote from " + missing + " within " + prepareTimeout.toMillis() + " ms (presumed abort)");
              }
            }));
    log.debug("{} PREPARE {} {} to {}", id, kind, room, members);
    for (NodeId n : members) {
      if (n.equals(self)) {
        participant(kind)
            .prepare(tx)
            .whenComplete((v, e) -> lane.execute(() -> onVote(self, id, e == null ? v : Vote.abort("INTERNAL: " + e))));
      } else {
        send.accept(n, new Prepare(id, kind, room));
      }
    }
  }

  void onVote(NodeId from, io.chatmesh.wire.Vote vote) {
    onVote(from, vote.txId(), new Vote(vote.ready(), vote.reason()));
  }

  private void onVote(NodeId from, String txId, Vote vote) {
    Running r = running.get(txId);
    if (r == null || !r.members.contains(from)) {
      return;
    }
    if (!vote.ready()) {
      decide(r, false, vote.reason().isEmpty() ? "node " + from + " voted ABORT" : vote.reason());
      return;
    }
    r.ready.add(from);
    if (r.ready.containsAll(r.members)) {
      decide(r, true, "");
    }
  }

  /** A participant was declared dead: a missing vote from it is an ABORT now, not at the timeout. */
  void onNodeDown(NodeId node) {
    for (Running r : running.values().toArray(new Running[0])) {
      if (r.members.contains(node) && !r.ready.contains(node)) {
        decide(r, false, "node " + node + " was declared dead before voting");
      }
    }
  }

  /** A coordinator is reachable again: in-doubt participants ask it at once. */
  void onNodeUp(NodeId node) {
    inDoubt.values().forEach(d -> {
      if (d.tx.coordinator().equals(node)) {
        send.accept(node, new DecisionQuery(d.tx.id()));
      }
    });
  }

  private void decide(Running r, boolean commit, String reason) {
    running.remove(r.tx.id());
    r.timer.cancel();
    decisions.put(r.tx.id(), commit); // recorded before it is sent: presumed abort stays safe
    log.debug("{} decided {} {}", r.tx.id(), commit ? "COMMIT" : "ROLLBACK", reason);
    for (NodeId n : r.members) {
      if (n.equals(self)) {
        apply(r.tx, commit);
      } else {
        send.accept(n, new Decision(r.tx.id(), commit));
      }
    }
    r.result.complete(new Result(commit ? Outcome.COMMITTED : Outcome.ROLLED_BACK, reason));
  }

  void onDecisionQuery(NodeId from, DecisionQuery q) {
    if (running.containsKey(q.txId())) {
      return; // still collecting votes; the decision will be sent
    }
    Boolean d = decisions.get(q.txId());
    send.accept(from, new Decision(q.txId(), d != null && d));
  }

  // ---------------------------------------------------------------- participant

  void onPrepare(NodeId from, Prepare p) {
    InDoubt known = inDoubt.get(p.txId());
    if (known != null) {
      send.accept(from, new io.chatmesh.wire.Vote(p.txId(), true, ""));
      return;
    }
    Transaction tx = new Transaction(p.txId(), p.kind(), p.room(), from);
    participant(p.kind())
        .prepare(tx)
        .whenComplete((v, e) -> lane.execute(() -> {
          Vote vote = e == null ? v : Vote.abort("INTERNAL: " + e);
          if (vote.ready()) {
            InDoubt d = new InDoubt(tx);
            inDoubt.put(tx.id(), d);
            armQuery(d);
          }
          send.accept(from, new io.chatmesh.wire.Vote(tx.id(), vote.ready(), vote.reason()));
        }));
  }

  void onDecision(NodeId from, Decision d) {
    InDoubt waiting = inDoubt.remove(d.txId());
    if (waiting != null) {
      waiting.timer.cancel();
      if (!waiting.tx.coordinator().equals(from)) {
        log.warn("decision for {} came from {}, not its coordinator", d.txId(), from);
      }
      applyParticipant(waiting.tx, d.commit());
    } else if (!d.commit()) {
      // rollback for a prepare we may still be working on (e.g. queued behind another reservation)
      for (Map.Entry<TxKind, Participant> e : participants.entrySet()) {
        e.getValue().rollback(new Transaction(d.txId(), e.getKey(), "", from));
      }
    }
  }

  private void apply(Transaction tx, boolean commit) {
    // the coordinator's own participation: it voted through participant(kind).prepare directly
    applyParticipant(tx, commit);
  }

  private void applyParticipant(Transaction tx, boolean commit) {
    Participant p = participant(tx.kind());
    if (commit) {
      p.commit(tx);
    } else {
      p.rollback(tx);
    }
  }

  private void armQuery(InDoubt d) {
    d.timer =
        clock.schedule(
            prepareTimeout,
            () -> lane.execute(() -> {
              if (inDoubt.get(d.tx.id()) != d) {
                return;
              }
              if (isAlive.test(d.tx.coordinator())) {
                log.debug("{} in doubt, asking {} again", d.tx.id(), d.tx.coordinator());
                send.accept(d.tx.coordinator(), new DecisionQuery(d.tx.id()));
              }
              armQuery(d);
            }));
  }

  /** Transactions this node voted READY for and has no decision yet (for tests and diagnostics). */
  int inDoubtCount() {
    return inDoubt.size();
  }

  private Participant participant(TxKind kind) {
    Participant p = participants.get(kind);
    if (p == null) {
      throw new IllegalStateException("no participant registered for " + kind);
    }
    return p;
  }

  private static final class Running {
    final Transaction tx;
    final Set<NodeId> members;
    final Set<NodeId> ready = new TreeSet<>();
    final CompletableFuture<Result> result;
    ChatClock.Cancellable timer = () -> {};

    Running(Transaction tx, Set<NodeId> members, CompletableFuture<Result> result) {
      this.tx = tx;
      this.members = members;
      this.result = result;
    }
  }

  private static final class InDoubt {
    final Transaction tx;
    ChatClock.Cancellable timer = () -> {};

    InDoubt(Transaction tx) {
      this.tx = tx;
    }
  }
}
