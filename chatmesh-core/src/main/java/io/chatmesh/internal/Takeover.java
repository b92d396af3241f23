package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.spi.lease.Lease;
import io.chatmesh.wire.Collect;
import io.chatmesh.wire.HistoryReply;
import io.chatmesh.wire.Sequenced;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt of this node to take a room over (with {@link io.chatmesh.Failover}), in the steps of
 * PacificA / Kafka's leader epochs:
 *
 * <ol>
 *   <li>take the room's lease from the consensus engine; if another node holds it, stop (it is the
 *       admin, or is taking over); if the room is retired there, it was deleted: end it here;
 *   <li>pick a new epoch, higher than every epoch this node has seen for the room;
 *   <li>with a shared history store: record the new epoch in the store (which from then on refuses
 *       the old admin's appends) and read the log from it;
 *   <li>otherwise: send {@link Collect} to the other replicas, which promise to refuse older epochs
 *       and answer with their tails; with enough of them ({@link #majority}: every commit quorum
 *       holds one, this node included), adopt
 *       the best tail - the newest last epoch, then the longest - as Raft's log comparison does;
 *   <li>continue the log as its admin ({@link Succession#takeoverDone}): the sequence goes on after
 *       the adopted tail with no gap and no reuse, and the dedup window is re-seeded from the log.
 * </ol>
 *
 * Without a majority, or when the lease is lost meanwhile, the attempt ends ({@link
 * Succession#takeoverFailed}); the next heartbeat may try again. Not thread-safe: room lane only.
 */
final class Takeover {
  private static final Logger log = LoggerFactory.getLogger(Takeover.class);

  private final RoomState room;
  private final ReplicaRole replica;
  private final LeaseKeeper lease;
  private final NodeEngine engine;
  private long epoch;
  private final Map<NodeId, HistoryReply> tails = new LinkedHashMap<>();
  private int answered;
  /**
   * The replica set asked: the one the last admin announced, or - when this node does not know it
   * (it restarted from its store) - every live node: a node holding nothing of the room refuses to
   * answer, so a majority of this larger set that answers is also a majority of the real one.
   */
  private List<NodeId> set = List.of();
  private boolean setKnown;
  /** The highest seq any answering replica (or this node) knows to be committed. */
  private long committed;
  private boolean decided;
  /** The lease epoch of this attempt's grant (0 until granted). */
  private long grant;
  /** Whether this node continues its own log with no other tail ({@link Succession#continuesAlone}). */
  private boolean alone;

  Takeover(RoomState room, ReplicaRole replica, LeaseKeeper lease) {
    this.room = room;
    this.replica = replica;
    this.lease = lease;
    this.engine = room.engine;
  }

  void start() {
    lease.takeOver().whenComplete((l, e) -> {
      if (e != null) {
        ChatException x = ChatException.from(e);
        if (x.code() == ErrorCode.UNKNOWN_ROOM) {
          room.succession.takeoverFoundRetired(this, x.getMessage()); // deleted while this node did not hear it
        } else {
          room.succession.takeoverFailed(this, x.getMessage());
        }
        return;
      }
      onLease();
    });
  }

  /** The lease epoch this attempt was granted, or 0 if it got no lease. */
  long grant() {
    return grant;
  }

  private void onLease() {
    Lease l = lease.lease();
    grant = l == null ? 0 : l.epoch();
    epoch = Math.max(NodeEngine.nextStamp(), Math.max(replica.promised(), Math.max(room.epoch, replica.lastEpoch())) + 1);
    replica.promiseSelf(epoch);
    log.info("{}: holds the lease of room '{}' ({}); takes it over at epoch {}", engine.self, room.name, lease.lease(), epoch);
    if (engine.history.shared()) {
      fromSharedStore();
      return;
    }
    setKnown = replica.replicas().contains(engine.self);
    set = setKnown ? replica.replicas() : engine.liveNodesAndSelf();
    alone = setKnown && room.succession.continuesAlone(grant);
    long after = replica.committed();
    replica.ownTail(after).whenComplete((own, e) -> room.lane.execute(() -> {
      if (e != null) {
        fail("could not read its own log: " + ChatException.from(e).getMessage());
        return;
      }
      tails.put(engine.self, own);
      answered++;
      List<NodeId> others = new ArrayList<>();
      for (NodeId n : set) {
        if (!n.equals(engine.self)) {
          others.add(n);
        }
      }
      if (alone) {
        log.info("{}: nobody held the lease of room '{}' since this node's own term (lease epoch {}): continues its own log",
            engine.self, room.name, grant);
      }
      if (others.isEmpty() || alone) {
        decide();
        return;
      }
      for (NodeId n : others) {
        collect(n, after);
      }
    }));
  }

  private void collect(NodeId from, long after) {
    engine.requests
        .send(from, HistoryReply.class, id -> new Collect(id, room.name, epoch, after, ReplicaRole.COLLECT_LIMIT), m -> engine.send(from, m))
        .whenComplete((r, e) -> room.lane.execute(() -> {
          answered++;
          if (r != null && r.error() == null) {
            tails.put(from, r);
          } else {
            String why = r != null ? r.error() + " " + r.message() : ChatException.from(e).getMessage();
            log.info("{}: replica {} of room '{}' gave no tail: {}", engine.self, from, room.name, why);
          }
          if (!decided && (tails.size() >= majority() || answered >= set.size())) {
            decide();
          }
        }));
  }

  /**
   * How many tails (this node's included) the takeover needs. With the replica set known: enough
   * that every commit quorum of the set ({@link Replication#commitQuorum}, a majority) holds one of
   * them, {@code n - commitQuorum(n) + 1}: a majority for an odd set, half of an even set (1 of 2,
   * 2 of 4). Every committed entry is then in a collected tail, and the best tail (newest epoch,
   * then longest) holds them all, as with a majority. Two takeovers need not meet each other: the
   * lease lets one node at a time take over or sequence (a grant starts after the previous holder's
   * stop time), and the promise of the tails collected refuses the older epochs on the nodes that
   * a later commit quorum needs (they meet every commit quorum). Without it, a set of 2 whose other
   * node came back without store (it rightly refuses a Collect) stayed without admin for good
   * (seed 483's DIRECTORY_NOT_CONVERGED). With the set unknown (a restarted admin asks every live
   * node): a majority of the nodes asked, as before.
   */
  private int majority() {
    return setKnown ? set.size() - Replication.commitQuorum(set.size()) + 1 : set.size() / 2 + 1;
  }

  /**
   * The replica set the new admin replicates to: the known one, or, when it was not known, the nodes
   * that answered with a tail (they hold the room), this node first, at most the replication factor.
   */
  private List<NodeId> newSet() {
    if (setKnown) {
      return set;
    }
    List<NodeId> out = new ArrayList<>();
    out.add(engine.self);
    for (NodeId n : tails.keySet()) {
      if (!out.contains(n) && out.size() < engine.settings.failover().replicationFactor()) {
        out.add(n);
      }
    }
    return out;
  }

  private void decide() {
    decided = true;
    if (!stillHolding()) {
      return;
    }
    if (!alone && tails.size() < majority()) {
      fail("only " + tails.size() + " of the " + set.size() + (setKnown ? " replicas" : " live nodes (the replica set is not known here)")
          + " answered with the room's log; " + majority() + " are needed");
      return;
    }
    NodeId best = engine.self;
    HistoryReply bestTail = tails.get(engine.self);
    for (HistoryReply r : tails.values()) {
      committed = Math.max(committed, r.oldestSeq()); // the Collect reply's oldestSeq: committed seq known
    }
    for (Map.Entry<NodeId, HistoryReply> t : tails.entrySet()) {
      HistoryReply r = t.getValue();
      if (r.epoch() > bestTail.epoch() || (r.epoch() == bestTail.epoch() && r.lastSeq() > bestTail.lastSeq())) {
        best = t.getKey();
        bestTail = r;
      }
    }
    long keep = replica.committed();
    if (best.equals(engine.self)) {
      adopt(keep, List.of(), bestTail.lastSeq());
      return;
    }
    log.info("{}: room '{}' adopts the tail of {} (epoch {}, last seq {}) after its committed seq {}", engine.self, room.name, best,
        bestTail.epoch(), bestTail.lastSeq(), keep);
    fetchRest(best, keep, new ArrayList<>(bestTail.entries()), bestTail.lastSeq());
  }

  /** Collects the rest of a tail longer than one reply, then adopts it. */
  private void fetchRest(NodeId from, long keep, List<Sequenced> got, long last) {
    long have = got.isEmpty() ? keep : got.get(got.size() - 1).seq();
    if (have >= last) {
      adopt(keep, got, last);
      return;
    }
    engine.requests
        .send(from, HistoryReply.class, id -> new Collect(id, room.name, epoch, have, ReplicaRole.COLLECT_LIMIT), m -> engine.send(from, m))
        .whenComplete((r, e) -> room.lane.execute(() -> {
          if (!stillHolding()) {
            return;
          }
          if (r == null || r.error() != null || r.entries().isEmpty()) {
            fail("replica " + from + " stopped answering while its tail was collected");
            return;
          }
          got.addAll(r.entries());
          fetchRest(from, keep, got, last);
        }));
  }

  private void adopt(long keep, List<Sequenced> entries, long last) {
    replica.adopt(entries.isEmpty() ? Math.max(keep, last) : keep, entries).whenComplete((v, e) -> {
      if (e != null) {
        room.lane.execute(() -> fail("could not store the adopted tail: " + ChatException.from(e).getMessage()));
        return;
      }
      finish();
    });
  }

  private void fromSharedStore() {
    finish();
  }

  /** Records the new epoch in the store (a shared store then fences the old admin) and reads the log back. */
  private void finish() {
    long e = epoch;
    engine.writeStore("record room '" + room.name + "' at epoch " + e, () -> {
      HistoryEntries.StoredLog stored;
      try {
        engine.history.saveRoom(room.name, engine.self, e);
        stored = HistoryEntries.readStoredLog(engine.history, room.name, engine.settings.dedupWindow());
      } catch (RuntimeException x) {
        room.lane.execute(() -> fail("could not read the room's log: " + x.getMessage()));
        return;
      }
      HistoryEntries.StoredLog log = stored;
      room.lane.execute(() -> {
        if (stillHolding()) {
          room.succession.takeoverDone(this, e, engine.history.shared() ? log.last() : committed, log, newSet());
        }
      });
    });
  }

  private boolean stillHolding() {
    if (lease.maySequence()) {
      return true;
    }
    fail("its lease lapsed during the takeover");
    return false;
  }

  private void fail(String why) {
    room.succession.takeoverFailed(this, why);
  }

  @Override
  public String toString() {
    return "Takeover[" + room.name + " at epoch " + epoch + "]";
  }
}
