package io.chatmesh.internal;

import io.chatmesh.spi.transport.PeerText;
import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.time.ChatClock;
import io.chatmesh.twopc.TwoPhaseCommit;
import io.chatmesh.twopc.TwoPhaseCommit.Kind;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Coordinator and participant protocol of two-phase commit; the rules are in {@code
 * io.chatmesh.twopc}'s package documentation. All state lives on the node lane ({@code lane}):
 * {@link #execute} hops onto it, the {@code on*} handlers must be called on it (the message router
 * does) and check that. This is where the wire messages ({@link Prepare}, {@link
 * io.chatmesh.wire.Vote}, {@link Decision}) are mapped to and from the {@code twopc} types.
 */
final class TwoPhaseCommitEngine implements TwoPhaseCommit.Coordinator {
  private static final Logger log = LoggerFactory.getLogger(TwoPhaseCommitEngine.class);
  private final PeerText.Limited refusals = new PeerText.Limited(log, 10_000);
  private static final int DECISION_LOG_SIZE = 100_000;

  private final NodeId self;
  private final long incarnation;
  private final SerialExecutor lane;
  private final ChatClock clock;
  private final Duration prepareTimeout;
  private final BiConsumer<NodeId, WireMessage> send;
  private final Predicate<NodeId> isAlive;
  private final Map<Kind, Participant> participants = new EnumMap<>(Kind.class);
  private final Map<Kind, BeforeCommit> beforeCommit = new EnumMap<>(Kind.class);
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

  TwoPhaseCommitEngine(
      NodeId self,
      long incarnation,
      SerialExecutor lane,
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

  void register(Kind kind, Participant participant) {
    participants.put(kind, participant);
  }

  /**
   * The coordinator's last word on a transaction of {@code kind}: once every vote is READY, {@code
   * step} runs (called on the node lane) before any COMMIT is sent, and the transaction commits only
   * if the returned stage completes normally; if it fails, it rolls back with the failure's code and
   * message. While it runs, the prepare timeout and a participant declared dead no longer abort.
   */
  void beforeCommit(Kind kind, BeforeCommit step) {
    beforeCommit.put(kind, step);
  }

  /** See {@link #beforeCommit}: e.g. a deletion retires the room at the lease backend. */
  @FunctionalInterface
  interface BeforeCommit {
    /**
     * Called on the node lane once every participant voted READY.
     *
     * @param tx the transaction about to commit
     * @return completes normally to commit; fails (a {@link io.chatmesh.ChatException}) to roll back
     */
    CompletionStage<Void> decide(Transaction tx);
  }

  // ---------------------------------------------------------------- coordinator

  @Override
  public CompletableFuture<Result> execute(Kind kind, String room, Set<NodeId> members) {
    return execute(kind, room, members, List.of());
  }

  /** {@link #execute(Kind, String, Set)} carrying {@code replicas} to every participant ({@link Transaction#replicas}). */
  CompletableFuture<Result> execute(Kind kind, String room, Set<NodeId> members, List<NodeId> replicas) {
    CompletableFuture<Result> result = new CompletableFuture<>();
    lane.execute(() -> start(kind, room, new TreeSet<>(members), replicas, result));
    return result;
  }

  private void start(Kind kind, String room, Set<NodeId> members, List<NodeId> replicas, CompletableFuture<Result> result) {
    // the last part is a JVM-unique wall-clock stamp: a creation's epoch (NodeEngine#creationEpoch)
    String id = self + "/" + incarnation + "/" + NodeEngine.nextStamp();
    Transaction tx = new Transaction(id, kind, room, self, replicas);
    Running r = new Running(tx, members, result);
    running.put(id, r);
    r.timer =
        clock.schedule(
            prepareTimeout,
            () -> lane.execute(() -> {
              if (running.get(id) == r && !r.deciding) {
                Set<NodeId> missing = new TreeSet<>(r.members);
                missing.removeAll(r.ready);
                decide(r, false, null, "no vote from " + missing + " within " + prepareTimeout.toMillis() + " ms (presumed abort)");
              }
            }));
    log.debug("{} PREPARE {} {} to {}", id, kind, room, members);
    for (NodeId n : members) {
      if (n.equals(self)) {
        participant(kind)
            .prepare(tx)
            .whenComplete((v, e) -> lane.execute(() -> onVote(self, id, e == null ? v : Vote.abort(ErrorCode.INTERNAL, String.valueOf(e)))));
      } else {
        send.accept(n, new Prepare(id, toWire(kind), room, replicas));
      }
    }
  }

  void onVote(NodeId from, io.chatmesh.wire.Vote vote) {
    lane.assertCurrent();
    onVote(from, vote.txId(), vote.ready(), vote.error(), vote.reason());
  }

  private void onVote(NodeId from, String txId, Vote vote) {
    onVote(from, txId, vote.ready(), vote.code(), vote.detail());
  }

  private void onVote(NodeId from, String txId, boolean ready, @Nullable ErrorCode code, String detail) {
    Running r = running.get(txId);
    if (r == null || !r.members.contains(from) || r.deciding) {
      return;
    }
    if (!ready) {
      decide(r, false, code, detail.isEmpty() ? "node " + from + " voted ABORT" : detail);
      return;
    }
    r.ready.add(from);
    if (r.ready.containsAll(r.members)) {
      BeforeCommit step = beforeCommit.get(r.tx.kind());
      if (step == null) {
        decide(r, true, null, "");
        return;
      }
      r.deciding = true;
      CompletionStage<Void> last;
      try {
        last = step.decide(r.tx);
      } catch (RuntimeException e) {
        last = CompletableFuture.failedFuture(e);
      }
      last.whenComplete((v, e) -> lane.execute(() -> {
        if (running.get(txId) != r) {
          return;
        }
        if (e == null) {
          decide(r, true, null, "");
        } else {
          ChatException x = ChatException.from(e);
          decide(r, false, x.code(), x.getMessage());
        }
      }));
    }
  }

  /** A participant was declared dead: a missing vote from it is an ABORT now, not at the timeout. */
  void onNodeDown(NodeId node) {
    lane.assertCurrent();
    for (Running r : running.values().toArray(new Running[0])) {
      if (r.members.contains(node) && !r.ready.contains(node) && !r.deciding) {
        decide(r, false, null, "node " + node + " was declared dead before voting");
      }
    }
  }

  /** A coordinator is reachable again: in-doubt participants ask it at once. */
  void onNodeUp(NodeId node) {
    lane.assertCurrent();
    inDoubt.values().forEach(d -> {
      if (d.tx.coordinator().equals(node)) {
        send.accept(node, new DecisionQuery(d.tx.id()));
      }
    });
  }

  private void decide(Running r, boolean commit, @Nullable ErrorCode code, String reason) {
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
    r.result.complete(commit ? Result.committed() : new Result(Outcome.ROLLED_BACK, code, reason));
  }

  void onDecisionQuery(NodeId from, DecisionQuery q) {
    lane.assertCurrent();
    if (running.containsKey(q.txId())) {
      return; // still collecting votes; the decision will be sent
    }
    Boolean d = decisions.get(q.txId());
    send.accept(from, new Decision(q.txId(), d != null && d));
  }

  // ---------------------------------------------------------------- participant

  /**
   * A coordinator's PREPARE. Refused (logged, no vote) unless the coordinator speaks for itself
   * (the transaction id starts with its node id) and is a live peer; each participant adds its own
   * checks (e.g. only a room's admin may delete it).
   */
  void onPrepare(NodeId from, Prepare p) {
    lane.assertCurrent();
    if (!ownTx(from, p.txId()) || !isAlive.test(from)) {
      refusals.warn(from + "/prepare", "node " + self + " refuses PREPARE " + PeerText.safe(p.txId()) + " from node "
          + PeerText.safe(from.value()) + ": " + (isAlive.test(from) ? "the transaction is not its own" : "not a live peer"));
      return;
    }
    InDoubt known = inDoubt.get(p.txId());
    if (known != null) {
      send.accept(from, new io.chatmesh.wire.Vote(p.txId(), true, null, ""));
      return;
    }
    Transaction tx = new Transaction(p.txId(), fromWire(p.kind()), p.room(), from, p.replicas());
    participant(tx.kind())
        .prepare(tx)
        .whenComplete((v, e) -> lane.execute(() -> {
          Vote vote = e == null ? v : Vote.abort(ErrorCode.INTERNAL, String.valueOf(e));
          if (vote.ready()) {
            InDoubt d = new InDoubt(tx);
            inDoubt.put(tx.id(), d);
            armQuery(d);
          }
          send.accept(from, new io.chatmesh.wire.Vote(tx.id(), vote.ready(), vote.code(), vote.detail()));
        }));
  }

  /** A coordinator's decision; only the transaction's coordinator is heard (others are logged). */
  void onDecision(NodeId from, Decision d) {
    lane.assertCurrent();
    if (!ownTx(from, d.txId())) {
      refusals.warn(from + "/decision", "node " + self + " refuses a decision for " + PeerText.safe(d.txId()) + " from node "
          + PeerText.safe(from.value()) + ", which is not its coordinator");
      return;
    }
    InDoubt waiting = inDoubt.remove(d.txId());
    if (waiting != null) {
      waiting.timer.cancel();
      applyParticipant(waiting.tx, d.commit());
    } else if (!d.commit()) {
      // rollback for a prepare we may still be working on (e.g. queued behind another reservation)
      for (Map.Entry<Kind, Participant> e : participants.entrySet()) {
        e.getValue().rollback(new Transaction(d.txId(), e.getKey(), "", from));
      }
    }
  }

  /** Whether {@code txId} was issued by {@code coordinator} (ids are {@code node/incarnation/n}). */
  private static boolean ownTx(NodeId coordinator, String txId) {
    String prefix = coordinator.value() + "/";
    return txId.startsWith(prefix) && txId.indexOf('/', prefix.length()) > 0;
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

  static TxKind toWire(Kind kind) {
    return switch (kind) {
      case RESERVE_NAME -> TxKind.RESERVE_NAME;
      case DELETE_ROOM -> TxKind.DELETE_ROOM;
    };
  }

  static Kind fromWire(TxKind kind) {
    return switch (kind) {
      case RESERVE_NAME -> Kind.RESERVE_NAME;
      case DELETE_ROOM -> Kind.DELETE_ROOM;
    };
  }

  private Participant participant(Kind kind) {
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
    /** Every vote is READY and the kind's {@link BeforeCommit} step runs: the outcome is its. */
    boolean deciding;

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
