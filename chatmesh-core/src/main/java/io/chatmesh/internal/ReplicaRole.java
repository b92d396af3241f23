package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.wire.Collect;
import io.chatmesh.wire.HistoryReply;
import io.chatmesh.wire.ReplicaAck;
import io.chatmesh.wire.Replicate;
import io.chatmesh.wire.Sequenced;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replica role of a room on this node (with {@link io.chatmesh.Failover}): holds the room's log
 * as the admin replicates it, in this node's history store, and answers the admin with {@link
 * ReplicaAck} once the entries are stored. It keeps two epochs:
 *
 * <ul>
 *   <li>{@code promised}: the newest epoch it follows. A {@link Replicate} or {@link Collect} of an
 *       older epoch is refused, naming the newer one: this is the fencing of stale admins (a
 *       paused or partitioned old admin can never get an entry of its epoch onto a majority again).
 *   <li>{@code followEpoch}: the epoch whose admin it follows. From the first {@link Replicate} of
 *       a newer admin on, the log counts (in acks) only up to the highest seq known committed
 *       (entries above it may be ones a failed admin never got acknowledged, which the new admin
 *       may not have adopted); the new admin then resends from there, and its entries replace the
 *       ones above that seq. Until they arrive those entries are kept: they may be committed ones
 *       that only the new admin holds otherwise.
 *   <li>{@code logEpoch}: the epoch whose log it holds at least up to where that admin started (as
 *       Viewstamped Replication's view number of a log): a takeover adopts the tail with the newest
 *       {@code logEpoch}, then the longest. A replica that truncated for a new admin but has not yet
 *       received the log that admin started from keeps its older {@code logEpoch}, so its shorter log
 *       never wins over a longer one holding committed entries.
 * </ul>
 *
 * <p>With a shared history store there is nothing to hold (the admin's store is everybody's): the
 * {@link Replicate} messages carry no entries and only tell the replica who the admin is, its epoch
 * and the replica set, so that it can take the room over.
 *
 * <p>Not thread-safe: used on the room's lane; store calls are chained off the lane, in order.
 */
final class ReplicaRole {
  private static final Logger log = LoggerFactory.getLogger(ReplicaRole.class);
  /** The most entries one {@link Collect} reply carries. */
  static final int COLLECT_LIMIT = 2_000;

  private final RoomState room;
  private final NodeEngine engine;
  private final String name;
  private final HistoryStore store;
  private long promised;
  private @Nullable NodeId promisedTo;
  /** The epoch whose admin this replica follows (its log was truncated to the committed seq for it). */
  private long followEpoch;
  /**
   * The epoch whose log this replica holds up to where that admin started (see {@link
   * Replicate#epochStart()}): the log's age when tails are compared in a takeover. After a restart,
   * the epoch of the last stored entry (a lower bound).
   */
  private long logEpoch;
  private long lastSeq;
  private long lastEpoch;
  private long committed;
  /**
   * While a newer admin is followed whose entries have not arrived yet: the seq after which this
   * replica's entries may not be that admin's (its committed seq when it started following it), or
   * -1. Those entries stay (in the store and in {@link #lastSeq}, with the old {@link #logEpoch})
   * until the admin's entries from the next seq arrive and replace them; meanwhile acks say this
   * seq. Dropping them at the admin's first message lost committed entries: an entry held only by
   * a commit quorum of replicas that did not yet know it committed was then held by the admin alone
   * (seed 2086: an admin that took its room back alone, then was cut off).
   */
  private long replaceAfter = -1;
  private List<NodeId> replicas = List.of();
  /** Whether this node's history store records the room (found by a {@link Collect} while it held nothing else). */
  private boolean recorded;
  /** Replication from a node whose lease is being checked, in arrival order (at most {@link #MAX_WAITING}). */
  private final List<Replicate> waiting = new ArrayList<>();
  private static final int MAX_WAITING = 10_000;
  /** The last (node, epoch) checked to hold the room's lease, and a check in flight. */
  private @Nullable NodeId verifiedNode;
  private long verifiedEpoch;
  private @Nullable NodeId checkingNode;
  private long checkingEpoch;
  /** Store calls of this role, one after the other. */
  private CompletableFuture<Void> storeTail = CompletableFuture.completedFuture(null);

  ReplicaRole(RoomState room) {
    this.room = room;
    this.engine = room.engine;
    this.name = room.name;
    this.store = engine.history;
    if (!store.shared()) {
      // once per room and node; a JDBC store answers from an index
      HistoryStore.Position p = store.lastPosition(name).orElse(null);
      if (p != null) {
        lastSeq = p.seq();
        lastEpoch = p.epoch();
        logEpoch = p.epoch();
      }
    }
  }

  /** The newest epoch promised. */
  long promised() {
    return promised;
  }

  /** The room's replica set as the admin last said it (the admin included). */
  List<NodeId> replicas() {
    return replicas;
  }

  /** The epoch of the entry at {@link #lastSeq}. */
  long lastEpoch() {
    return lastEpoch;
  }

  /** The highest seq known committed. */
  long committed() {
    return committed;
  }

  /**
   * Continues from an admin role this node held: its log is the room's up to {@code released}, of
   * which only what is up to {@code committed} is known to be held by a majority (with ADMIN_ONLY
   * acks the rest may be lost at failover and its seqs reused by the next admin: the next admin this
   * node follows or its own takeover replace it).
   */
  void continueAfterAdmin(long epoch, long committed, long released, List<NodeId> set) {
    promised = Math.max(promised, epoch);
    followEpoch = epoch;
    logEpoch = epoch;
    this.committed = Math.max(this.committed, Math.min(committed, released));
    lastSeq = released;
    lastEpoch = epoch;
    replaceAfter = -1;
    replicas = set;
    if (!store.shared()) {
      // entries it sequenced but did not get onto a majority: the next admin may not adopt them
      chainStore(() -> store.truncateAfter(name, released));
    }
  }

  /**
   * The room's creation by {@code creator} at {@code epoch} committed here, with this node in its
   * replica set {@code set} ({@link RoomState#createdAsReplica}): this replica follows the creator at
   * that epoch with an empty log, as after the creator's first Replicate (which carries no entry),
   * and records the room in its store, so that after a restart with the store it still answers a
   * takeover. The 2PC vouches for the creator (it coordinated the committed reservation), so no
   * lease check. Safe: the log is genuinely empty (nothing of the room can have been sequenced
   * before its creation committed), a later Replicate of the creator's is followed as before, a
   * deletion is fenced at the lease backend (a takeover finds the room retired), and a node that
   * restarted without its store did not take part in the creation in this process and keeps
   * refusing a Collect. Nothing changes when it already holds something of the room (entries, or a
   * promise of that epoch or a newer one: a Replicate or a takeover came first).
   *
   * @return whether this replica now follows {@code creator} at {@code epoch}
   */
  boolean createdAsReplica(NodeId creator, long epoch, List<NodeId> set) {
    if (promised >= epoch || lastSeq > 0 || !set.contains(engine.self)) {
      return false;
    }
    promised = epoch;
    promisedTo = creator;
    followEpoch = epoch;
    logEpoch = epoch;
    replicas = List.copyOf(set);
    if (!store.shared()) {
      chainStore(() -> store.saveRoom(name, creator, epoch));
    }
    log.debug("{}: replica of room '{}' from its creation by {} at epoch {} (replicas {})", engine.self, name, creator, epoch, set);
    return true;
  }

  /** Promises {@code epoch} to this node itself (it is taking the room over). */
  void promiseSelf(long epoch) {
    promised = Math.max(promised, epoch);
    promisedTo = engine.self;
  }

  // ================================================================ the admin's log

  /** Handles the admin's message; returns whether this replica follows {@code from} at its epoch now. */
  boolean onReplicate(NodeId from, Replicate r) {
    if (r.epoch() < promised) {
      engine.send(from, new ReplicaAck(name, r.epoch(), lastSeq, promised));
      return false;
    }
    if (!vouched(from, r.epoch())) {
      // kept (bounded) while the lease backend is asked, then handled in order - or dropped
      if (waiting.size() < MAX_WAITING) {
        waiting.add(r);
      }
      checkLease(from, r.epoch(), () -> replayWaiting(from, r.epoch()), why -> {
        waiting.removeIf(w -> w.epoch() == r.epoch());
        log.warn("{}: room '{}': ignores replication from {} at epoch {}: {}", engine.self, name, from, r.epoch(), why);
      });
      return false;
    }
    promised = r.epoch();
    promisedTo = from;
    replicas = r.replicas();
    if (store.shared()) {
      committed = Math.max(committed, r.committed());
      lastSeq = Math.max(lastSeq, r.committed());
      followEpoch = r.epoch();
      logEpoch = r.epoch();
      lastEpoch = r.epoch();
      engine.send(from, new ReplicaAck(name, r.epoch(), lastSeq, promised));
      return true;
    }
    if (r.epoch() != followEpoch) {
      if (lastSeq > committed) {
        // they may be entries of a failed admin this one did not adopt, or committed entries that
        // this admin holds and will resend: replaced once its entries arrive, kept until then
        replaceAfter = replaceAfter >= 0 ? Math.min(replaceAfter, committed) : committed;
        log.info("{}: room '{}' follows admin {} at epoch {}: its entries after seq {} (up to {}), not known committed, are replaced"
            + " by the admin's", engine.self, name, from, r.epoch(), replaceAfter, lastSeq);
      }
      followEpoch = r.epoch();
      long e = r.epoch();
      NodeId admin = from;
      chainStore(() -> store.saveRoom(name, admin, e));
    }
    List<Sequenced> fresh = new ArrayList<>();
    long next = held() + 1;
    for (Sequenced s : r.entries()) {
      if (s.seq() == next) {
        fresh.add(s);
        next++;
      } else if (s.seq() > next) {
        break; // a gap: the ack below says where this replica stands, the admin resends from there
      }
    }
    if (!fresh.isEmpty()) {
      if (replaceAfter >= 0) {
        long keep = replaceAfter;
        chainStore(() -> store.truncateAfter(name, keep));
        replaceAfter = -1;
      }
      lastSeq = next - 1;
      lastEpoch = fresh.get(fresh.size() - 1).epoch();
    }
    committed = Math.max(committed, Math.min(r.committed(), held()));
    if (replaceAfter < 0 && lastSeq >= r.epochStart()) {
      logEpoch = Math.max(logEpoch, r.epoch()); // it holds the whole log that admin started from
    }
    long ackSeq = held();
    long epoch = r.epoch();
    if (fresh.isEmpty()) {
      afterStore(() -> engine.send(from, new ReplicaAck(name, epoch, ackSeq, promised)));
      return true;
    }
    List<Sequenced> batch = fresh;
    storeTail = storeTail.thenCompose(v -> store.append(HistoryEntries.toStored(batch))).handle((v, ex) -> {
      if (ex != null) {
        log.warn("{}: replica of room '{}' could not store seqs {}..{}: {}", engine.self, name, batch.get(0).seq(), ackSeq,
            ChatException.from(ex).getMessage());
        room.lane.execute(() -> {
          // not acknowledged: the admin resends; this replica re-reads where its store stands
          HistoryStore.Position p = store.lastPosition(name).orElse(null);
          lastSeq = p == null ? 0 : p.seq();
        });
        return null;
      }
      room.lane.execute(() -> engine.send(from, new ReplicaAck(name, epoch, ackSeq, promised)));
      return null;
    });
    return true;
  }

  /** The seq up to which this replica holds the log of the admin it follows. */
  private long held() {
    return replaceAfter >= 0 ? replaceAfter : lastSeq;
  }

  // ================================================================ a node taking the room over

  void onCollect(NodeId from, Collect c) {
    if (promised == 0 && lastSeq == 0 && lastEpoch == 0 && !store.shared() && !recorded) {
      // this node holds nothing of the room (never its replica here, deleted it, or lost its store):
      // an empty tail from it would count towards a majority that may miss committed entries, or
      // revive a deleted room - unless its store records the room (then its store is not lost and
      // the room not deleted here: the room's log on this node is empty, e.g. a restarted replica
      // or old admin of a room with no entry yet)
      List<NodeId> admins = new ArrayList<>(engine.liveNodesAndSelf());
      admins.add(from);
      admins.add(room.admin);
      afterStoreOffLane(() -> {
        boolean found = false;
        try {
          for (NodeId a : admins) {
            if (store.rooms(a).stream().anyMatch(r -> r.room().equals(name))) {
              found = true;
              break;
            }
          }
        } catch (RuntimeException e) {
          log.warn("{}: room '{}': could not read the store's rooms: {}", engine.self, name, e.getMessage());
        }
        boolean inStore = found;
        room.lane.execute(() -> {
          if (inStore) {
            recorded = true;
            room.onCollect(from, c); // through the room: it may have been deleted meanwhile
          } else {
            engine.send(from, HistoryReply.error(c.requestId(), ErrorCode.UNKNOWN_ROOM,
                "node " + engine.self + " holds no replica of room '" + name + "'"));
          }
        });
      });
      return;
    }
    if (c.epoch() > promised && !vouched(from, c.epoch())) {
      checkLease(from, c.epoch(), () -> onCollect(from, c), why -> engine.send(from, HistoryReply.error(c.requestId(), ErrorCode.NOT_ADMIN,
          "node " + engine.self + " refuses to follow node " + from + " in room '" + name + "': " + why)));
      return;
    }
    if (c.epoch() < promised || (c.epoch() == promised && promisedTo != null && !promisedTo.equals(from))) {
      engine.send(from, HistoryReply.error(c.requestId(), ErrorCode.NOT_ADMIN,
          "node " + engine.self + " follows room '" + name + "' at epoch " + promised + (promisedTo == null ? "" : " (node " + promisedTo + ")")
              + ", newer than or equal to " + c.epoch()));
      return;
    }
    promised = c.epoch();
    promisedTo = from;
    long last = lastSeq;
    long lastE = logEpoch;
    long known = committed;
    int limit = Math.max(1, Math.min(c.limit(), COLLECT_LIMIT));
    if (store.shared()) {
      engine.send(from, new HistoryReply(c.requestId(), null, "", lastE, last, known, List.of()));
      return;
    }
    afterStoreOffLane(() -> {
      HistoryReply reply;
      try {
        List<Sequenced> entries = HistoryEntries.fromStored(store.readAfter(name, c.afterSeq(), limit));
        reply = new HistoryReply(c.requestId(), null, "", lastE, last, known, entries);
      } catch (RuntimeException e) {
        reply = HistoryReply.error(c.requestId(), ChatException.from(e).code(), "replica of room '" + name + "' on node "
            + engine.self + " could not read its log: " + e.getMessage());
      }
      engine.send(from, reply);
    });
  }

  /** This node's own tail for its takeover: entries after {@code afterSeq}, read off the lane. */
  CompletableFuture<HistoryReply> ownTail(long afterSeq) {
    long last = lastSeq;
    long lastE = logEpoch;
    long known = committed;
    CompletableFuture<HistoryReply> out = new CompletableFuture<>();
    if (store.shared()) {
      out.complete(new HistoryReply(0, null, "", lastE, last, known, List.of()));
      return out;
    }
    afterStoreOffLane(() -> {
      try {
        out.complete(new HistoryReply(0, null, "", lastE, last, known,
            HistoryEntries.fromStored(store.readAfter(name, afterSeq, COLLECT_LIMIT))));
      } catch (RuntimeException e) {
        out.completeExceptionally(e);
      }
    });
    return out;
  }

  /**
   * Adopts the entries of the best tail found by a takeover: drops this node's entries after
   * {@code keep} and stores {@code entries} (contiguous from {@code keep + 1}); completes once stored.
   */
  CompletableFuture<Void> adopt(long keep, List<Sequenced> entries) {
    replaceAfter = -1;
    if (lastSeq > keep) {
      chainStore(() -> store.truncateAfter(name, keep));
      lastSeq = keep;
    }
    if (!entries.isEmpty()) {
      List<Sequenced> batch = entries;
      storeTail = storeTail.thenCompose(v -> store.append(HistoryEntries.toStored(batch)));
      lastSeq = entries.get(entries.size() - 1).seq();
      lastEpoch = entries.get(entries.size() - 1).epoch();
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    storeTail = storeTail.handle((v, ex) -> {
      if (ex != null) {
        done.completeExceptionally(ex);
      } else {
        done.complete(null);
      }
      return null;
    });
    return done;
  }

  // ================================================================ who may ask for a promise

  /** The lease check of {@code from} at {@code epoch} passed: the replication it sent meanwhile is handled now, in order. */
  private void replayWaiting(NodeId from, long epoch) {
    List<Replicate> mine = new ArrayList<>();
    waiting.removeIf(w -> {
      if (w.epoch() == epoch) {
        mine.add(w);
        return true;
      }
      return false;
    });
    for (Replicate w : mine) {
      room.onReplicate(from, w); // through the room: it also learns of the new admin
    }
  }

  /**
   * Whether {@code from} may be followed at {@code epoch} without asking the lease backend: it is
   * the node this replica already follows (or promised) at that epoch, or was checked to hold the
   * lease for it.
   */
  private boolean vouched(NodeId from, long epoch) {
    if (epoch <= promised && from.equals(promisedTo)) {
      return true;
    }
    return epoch == verifiedEpoch && from.equals(verifiedNode);
  }

  /**
   * Asks the lease backend whether {@code from} holds the room's lease: only the holder may make this
   * replica promise a newer epoch (a forged or stale message with a huge epoch would otherwise make
   * every replica refuse the real admin). Then runs {@code ok} on the lane, or {@code refused} with
   * the reason. One check per (node, epoch) at a time.
   */
  private void checkLease(NodeId from, long epoch, Runnable ok, java.util.function.Consumer<String> refused) {
    if (epoch == checkingEpoch && from.equals(checkingNode)) {
      return;
    }
    checkingNode = from;
    checkingEpoch = epoch;
    engine.settings.failover().leases().current(name).whenComplete((l, e) -> room.lane.execute(() -> {
      if (epoch == checkingEpoch && from.equals(checkingNode)) {
        checkingNode = null;
        checkingEpoch = 0;
      }
      if (e != null) {
        refused.accept("the lease backend could not be asked: " + ChatException.from(e).getMessage());
      } else if (l.isEmpty() || !l.get().holder().equals(from)) {
        refused.accept("it does not hold the room's lease (" + l.map(x -> "held by " + x.holder()).orElse("nobody holds it") + ")");
      } else {
        verifiedNode = from;
        verifiedEpoch = epoch;
        ok.run();
      }
    }));
  }

  // ================================================================ store ordering

  private void chainStore(Runnable call) {
    storeTail = storeTail.thenRun(call).exceptionally(ex -> {
      log.warn("{}: replica of room '{}': a store call failed: {}", engine.self, name, ChatException.from(ex).getMessage());
      return null;
    });
  }

  private void afterStore(Runnable onLane) {
    if (storeTail.isDone()) {
      onLane.run();
    } else {
      storeTail.whenComplete((v, ex) -> room.lane.execute(onLane));
    }
  }

  private void afterStoreOffLane(Runnable read) {
    storeTail.whenComplete((v, ex) -> engine.readHistory(read));
  }
}
