package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.RoomSummary;
import io.chatmesh.wire.Collect;
import io.chatmesh.wire.Handover;
import io.chatmesh.wire.HistoryReply;
import io.chatmesh.wire.Replicate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who administers a room next, on this node (with {@link io.chatmesh.Failover}): the room's lease
 * while this node administers it or takes it over ({@link LeaseKeeper}), this node's copy of the
 * room's log ({@link ReplicaRole}), and the takeover in progress ({@link Takeover}). The room actor
 * ({@link RoomState}) swaps its roles on what this part decides: {@link RoomState#stepDown} when the
 * lease is lost or a newer admin exists, {@link RoomState#becameAdmin} when a creation got its lease
 * or a takeover succeeded.
 *
 * <p>Without failover it holds nothing and every method is a no-op. Not thread-safe: room lane only.
 */
final class Succession {
  private static final Logger log = LoggerFactory.getLogger(Succession.class);

  private final RoomState room;
  private final NodeEngine engine;
  private final String name;
  private @Nullable ReplicaRole replica;
  private @Nullable LeaseKeeper lease;
  private @Nullable Takeover takeover;
  /**
   * The lease epoch of this node's last grant of the room's lease while its log was the whole room's
   * log: set when it administered the room under that grant (created it, or took it over), carried
   * over to a later grant of this node's that directly follows it (the backend gives every grant a
   * higher epoch, so nobody held the lease in between), 0 when not known (then a takeover needs a
   * majority of tails). In memory only: after a restart it is 0.
   */
  private long soleGrant;
  /**
   * Set while this node's new room waits for its lease ({@link #acquireForCreation}): no takeover is
   * started meanwhile (a takeover of a stale state of the name's earlier, deleted room would find
   * the name retired at the lease backend and end the new room here: seed 2689's NEVER_COMPLETED).
   */
  private boolean creating;

  Succession(RoomState room) {
    this.room = room;
    this.engine = room.engine;
    this.name = room.name;
  }

  boolean enabled() {
    return engine.settings.failover() != null;
  }

  /** Whether it holds anything the room state must be kept for. */
  boolean holdsAnything() {
    return replica != null || lease != null || takeover != null;
  }

  /** Whether this node may sequence now: without failover always; with it, while its lease is valid. */
  boolean maySequence() {
    LeaseKeeper k = lease;
    return k == null ? !enabled() : k.maySequence();
  }

  /** This node's replica role (created on first use; only with failover). */
  ReplicaRole replica() {
    ReplicaRole r = replica;
    if (r == null) {
      r = new ReplicaRole(room);
      replica = r;
    }
    return r;
  }

  // ================================================================ a new room

  /**
   * Takes the new room's lease (retrying while the room is this node's), then makes this node its
   * admin; {@link RoomState#adminReady} fails UNAVAILABLE at {@code deadline} if it is not done by
   * then, whatever happened meanwhile. A take-back of the name's earlier room in progress ends.
   */
  void acquireForCreation(List<NodeId> set, long deadline) {
    if (!creating) {
      if (takeover != null) {
        // a take-back of the name's earlier room (restarted with its store) gives way to the creation
        end(false);
      }
      creating = true;
      // the creation's caller hears by the deadline whatever happens to the room meanwhile
      long wait = Math.max(0, deadline - engine.clock.millis());
      engine.clock.schedule(Duration.ofMillis(wait), () -> room.lane.execute(() -> failCreationIfNotReady(null)));
    }
    if (lease != null) {
      return; // acquiring
    }
    LeaseKeeper k = newLeaseKeeper();
    lease = k;
    k.acquire().whenComplete((l, e) -> {
      if (lease != k || room.deleted()) {
        return;
      }
      if (e == null) {
        creating = false;
        soleGrant = l.epoch();
        replica().promiseSelf(room.epoch);
        room.becameAdmin(AdminRole.created(room, set));
        // the replicas hear of the room now, not at the next heartbeat: until they do, only this
        // node can take it back (they refuse a takeover's Collect), and a restart forgets its grant
        room.adminTail();
        return;
      }
      lease = null;
      if (engine.clock.millis() >= deadline) {
        failCreationIfNotReady(e);
      }
      if (!engine.running()) {
        creating = false;
        return;
      }
      // keeps trying while the room is this node's: nobody else can administer a room no replica
      // has heard of yet (violation F3 of the nemesis: given up, the room stayed without an admin)
      log.info("{}: room '{}' waits for its lease: {}", engine.self, name, ChatException.from(e).getMessage());
      engine.clock.schedule(engine.settings.failover().renewInterval(), () -> room.lane.execute(() -> {
        if (!room.isAdmin() && lease == null && !room.deleted() && engine.self.equals(room.admin)) {
          acquireForCreation(set, deadline);
        } else {
          creating = false;
        }
      }));
    });
  }

  /**
   * The creation's deadline passed (or its lease was refused past it): the creation's future fails
   * UNAVAILABLE unless this node administers the room by now; the lease is still sought.
   */
  private void failCreationIfNotReady(@Nullable Throwable lastError) {
    if (room.adminReady.isDone()) {
      return;
    }
    room.adminReady.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE, "room '" + name + "' was created but node "
        + engine.self + " could not take its lease yet (it keeps trying)"
        + (lastError == null ? "" : ": " + ChatException.from(lastError).getMessage())));
  }

  private LeaseKeeper newLeaseKeeper() {
    return new LeaseKeeper(name, engine.self, engine.settings.failover().leases(), engine.settings.failover(), engine.clock,
        new LeaseKeeper.Host() {
          @Override
          public void onLane(Runnable task) {
            room.lane.execute(task);
          }

          @Override
          public void lost(String why) {
            room.stepDown("node " + engine.self + " lost the lease of room '" + name + "': " + why);
          }
        });
  }

  // ================================================================ messages of other admins

  /** A {@link Replicate}: returns whether this node now follows {@code from} at its epoch. */
  boolean onReplicate(NodeId from, Replicate r) {
    if (room.isAdmin() && r.epoch() > room.epoch) {
      room.stepDown("node " + from + " administers room '" + name + "' at epoch " + r.epoch() + ", newer than this node's " + room.epoch);
    }
    boolean follows = replica().onReplicate(from, r);
    if (follows && !from.equals(engine.self)) {
      soleGrant = 0; // another node administers the room
    }
    return follows;
  }

  /** A {@link Collect} from a node taking the room over. */
  void onCollect(NodeId from, Collect c) {
    if (room.isAdmin() && c.epoch() > room.epoch) {
      room.stepDown("node " + from + " takes room '" + name + "' over at epoch " + c.epoch());
    }
    replica().onCollect(from, c);
  }

  /** A planned move's {@link Handover}: take the room over now (the lease was released). */
  void onHandover(NodeId from, Handover h) {
    if (room.deleted() || room.isAdmin() || takeover != null || !enabled()) {
      return;
    }
    if (h.epoch() < room.epoch || !replica().replicas().contains(engine.self)) {
      log.warn("{}: ignores the handover of room '{}' from {} at epoch {} (knows epoch {}, replicas {})", engine.self, name, from,
          h.epoch(), room.epoch, replica().replicas());
      return;
    }
    startTakeover();
  }

  // ================================================================ this node's admin term ends

  /** The admin role {@code a} (epoch {@code epoch}) stepped down: its log stays as a replica's; the lease is let go. */
  void steppedDown(AdminRole a, long epoch) {
    replica().continueAfterAdmin(epoch, a.committed(), a.released(), a.replicas());
    LeaseKeeper k = lease;
    lease = null;
    if (k != null) {
      k.stop();
    }
  }

  /** Hands the lease to the caller (a planned move releases it, then tells the target). */
  @Nullable LeaseKeeper takeLease() {
    LeaseKeeper k = lease;
    lease = null;
    return k;
  }

  /** Gives up the lease (released on deletion, so a re-creation can take it at once) and any takeover. */
  void end(boolean release) {
    takeover = null;
    creating = false;
    LeaseKeeper k = lease;
    lease = null;
    if (k != null) {
      if (release && k.lease() != null) {
        k.release();
      } else {
        k.stop();
      }
    }
  }

  // ================================================================ takeover

  /**
   * Every other heartbeat: a replica whose admin is unreachable, or no longer announces the room,
   * tries to take the room over (only the one that gets the lease does).
   */
  void checkTakeover() {
    if (!enabled() || room.deleted() || room.isAdmin() || takeover != null || creating || replica == null || !engine.running()) {
      return;
    }
    if (!replica.replicas().contains(engine.self)) {
      // a restarted admin (its store lists the room as its own, the replica set is not stored)
      // tries again while nobody else administers the room, once it knows the cluster (its first
      // attempt at the restart may have failed: no retry left the room without admin for good)
      if (!replica.replicas().isEmpty() || !room.admin.equals(engine.self) || !engine.quorum.ready().isDone()) {
        return;
      }
    }
    RoomSummary s = engine.directory.get(name);
    boolean adminGone = s == null ? !engine.isAlive(room.admin) : (!s.available() || !engine.isAlive(s.admin()));
    if (!adminGone && !room.admin.equals(engine.self)) {
      return;
    }
    startTakeover();
  }

  /** Starts taking the room over (also after a restart with a durable store). */
  void startTakeover() {
    LeaseKeeper k = newLeaseKeeper();
    lease = k;
    Takeover t = new Takeover(room, replica(), k);
    takeover = t;
    t.start();
  }

  /**
   * Whether a takeover under this node's lease grant {@code grant} may continue this node's own log
   * without a majority of the replicas' tails: its previous grant was {@code grant - 1} and its log
   * was the whole room's log then. Lease epochs grow with every grant, whoever gets it, so no other
   * node held the lease since: none sequenced, took the room over or deleted it (only the lease
   * holder does), and nothing was committed that this node's log misses. This is what lets an admin
   * take back a room whose replicas never heard of it (they refuse a {@code Collect}: F3 of the
   * nemesis).
   */
  boolean continuesAlone(long grant) {
    return soleGrant > 0 && grant == soleGrant + 1;
  }

  /** The takeover ended without this node administering the room (lease held elsewhere, no majority). */
  void takeoverFailed(Takeover t, String why) {
    if (takeover != t) {
      return;
    }
    takeover = null;
    // a grant of this node's that changed nothing keeps its log whole if the one before did
    long grant = t.grant();
    if (grant > 0) {
      soleGrant = continuesAlone(grant) ? grant : 0;
    }
    LeaseKeeper k = lease;
    lease = null;
    if (k != null && k.lease() != null) {
      k.release();
    } else if (k != null) {
      k.stop();
    }
    log.debug("{}: no takeover of room '{}': {}", engine.self, name, why);
  }

  /**
   * The takeover found the room retired at the lease backend: it was deleted while this node did
   * not hear it. The room ends here as a deletion; no more takeovers.
   */
  void takeoverFoundRetired(Takeover t, String why) {
    if (takeover != t) {
      return;
    }
    takeover = null;
    lease = null; // its keeper holds no lease: the backend refused it
    room.deletedElsewhere(why, Long.MAX_VALUE);
  }

  /**
   * The deletion's commit point with failover: retires the room at the lease backend with this
   * node's lease ({@link LeaseKeeper#retire}). Completes on the lane; fails NOT_ADMIN when no lease
   * is held or it was lost, UNAVAILABLE when the backend did not answer (outcome unknown).
   */
  CompletableFuture<Void> retire() {
    LeaseKeeper k = lease;
    if (k == null) {
      return CompletableFuture.failedFuture(
          new ChatException(ErrorCode.NOT_ADMIN, "node " + engine.self + " holds no lease on room '" + name + "' to retire it with"));
    }
    return k.retire();
  }

  /** The takeover succeeded: this node administers the room at {@code newEpoch}, continuing {@code stored}. */
  void takeoverDone(Takeover t, long newEpoch, long committed, HistoryEntries.StoredLog stored, List<NodeId> replicas) {
    if (takeover != t) {
      return;
    }
    takeover = null;
    soleGrant = t.grant();
    if (room.deleted()) {
      takeoverFailed(t, "deleted");
      end(true);
      return;
    }
    room.tookOver(newEpoch, committed, stored, replicas);
    // the replicas hear of the new term now, not at the next heartbeat: a replica that lost its store
    // (it refused this takeover's Collect) holds nothing of the room until it does, and if this node
    // dies in between, the room's only other copy cannot make a majority of tails (seed 1166)
    room.adminTail();
  }
}
