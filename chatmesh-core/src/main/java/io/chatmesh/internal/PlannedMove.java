package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.wire.Handover;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A planned move of a room this node administers ({@link io.chatmesh.Room#moveTo}, {@link
 * io.chatmesh.ChatNode#drain}): the admin refuses writes, waits until nothing is pending and the
 * target holds every entry, releases its lease, steps down and sends {@link Handover}; the move
 * completes when this node sees the target administer the room.
 *
 * <p>A peer that drains too ({@link NodeEngine#isDraining}) is no target: {@code moveTo} refuses
 * it, a drain picks another replica or, when every live replica drains, leaves the room here (it
 * fails over when this node stops, like after a crash, or stops with the cluster). A target that
 * starts draining or dies ends the move at once: before the handover the room stays here (a drain
 * tries the next replica), after it the room is no longer this node's and a drain is done.
 *
 * <p>Not thread-safe: room lane only.
 */
final class PlannedMove {
  private static final Logger log = LoggerFactory.getLogger(PlannedMove.class);
  private static final Duration POLL = Duration.ofMillis(10);
  private final RoomState room;
  private final NodeEngine engine;
  private final String name;
  private @Nullable NodeId target;
  private @Nullable CompletableFuture<Void> out;
  /** Whether the move under way is a drain's (it tries another target, and ends once handed). */
  private boolean draining;

  PlannedMove(RoomState room) {
    this.room = room;
    this.engine = room.engine;
    this.name = room.name;
  }

  /** Room.moveTo: hands the room to {@code to}, a live replica, with no loss. */
  void moveTo(NodeId to, CompletableFuture<Void> result) {
    if (engine.settings.failover() == null) {
      result.completeExceptionally(new ChatException(ErrorCode.BAD_REQUEST,
          "room '" + name + "' cannot move: node " + engine.self + " runs without failover (ChatNode.Builder.failover)"));
      return;
    }
    if (room.deleted()) {
      result.completeExceptionally(room.unknownRoom());
      return;
    }
    AdminRole a = room.adminRole();
    if (a == null) {
      result.completeExceptionally(new ChatException(ErrorCode.NOT_ADMIN,
          "room '" + name + "' is administered by node " + room.admin + "; call moveTo on that node, not on " + engine.self));
      return;
    }
    if (to.equals(engine.self)) {
      result.complete(null);
      return;
    }
    if (!a.replicas().contains(to) || !engine.isAlive(to)) {
      result.completeExceptionally(new ChatException(ErrorCode.BAD_REQUEST,
          "node " + to + " is not a live replica of room '" + name + "'; its replicas are " + a.replicas()));
      return;
    }
    if (engine.isDraining(to)) {
      result.completeExceptionally(new ChatException(ErrorCode.BAD_REQUEST,
          "node " + to + " is draining (it is about to stop): room '" + name + "' cannot move to it; its replicas are " + a.replicas()));
      return;
    }
    if (out != null) {
      result.completeExceptionally(new ChatException(ErrorCode.ABORTED, "room '" + name + "' is already moving to node " + target));
      return;
    }
    start(a, to, result, false);
  }

  private void start(AdminRole a, NodeId to, CompletableFuture<Void> result, boolean drain) {
    target = to;
    out = result;
    draining = drain;
    a.startMove(to);
    waitToHand(a, to, engine.clock.millis() + 2 * engine.settings.requestTimeout().toMillis());
  }

  /**
   * Whether a move out of this node is under way: from {@link #moveTo} until the target administers
   * the room or the move failed.
   */
  boolean pending() {
    return out != null;
  }

  /** ChatNode.drain: moves the room to its most caught-up live replica. */
  void drain(CompletableFuture<Void> result) {
    if (room.deleted()) {
      result.completeExceptionally(room.unknownRoom());
      return;
    }
    AdminRole a = room.adminRole();
    if (a == null) {
      result.complete(null); // not administered here (any more)
      return;
    }
    List<NodeId> live = a.liveReplicasByProgress();
    if (live.isEmpty()) {
      result.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE, "room '" + name + "' has no live replica to move to"
          + (engine.settings.failover() != null ? "" : " (no failover configured)")));
      return;
    }
    if (out != null) {
      result.completeExceptionally(new ChatException(ErrorCode.ABORTED, "room '" + name + "' is already moving to node " + target));
      return;
    }
    for (NodeId to : live) {
      if (!engine.isDraining(to)) {
        start(a, to, result, true);
        return;
      }
    }
    // nothing to wait for: the room stays here and fails over when this node stops (its lease is
    // released on close), or stops with the cluster; no entry is at risk either way
    log.info("node {} leaves room '{}' in place: every live replica ({}) is draining too", engine.self, name, live);
    result.complete(null);
  }

  /** The room's admin changed: the move is done once another node administers the room. */
  void adminChanged(NodeId newAdmin) {
    // another live replica may win the released lease before the target does: the room moved
    // with no loss all the same (it took the log over from a majority), so the move is done
    if (out != null && !newAdmin.equals(engine.self)) {
      out.complete(null);
      out = null;
      target = null;
    }
  }

  private void waitToHand(AdminRole a, NodeId to, long deadline) {
    if (room.adminRole() != a || out == null) {
      fail(ErrorCode.UNAVAILABLE, "node " + engine.self + " stopped administering room '" + name + "' during the move");
      return;
    }
    if (engine.isDraining(to)) {
      a.cancelMove();
      if (draining) { // another replica may stay: try it (draining is sticky, so this ends)
        CompletableFuture<Void> o = out;
        out = null;
        target = null;
        drain(o);
        return;
      }
      fail(ErrorCode.UNAVAILABLE, "node " + to + " started draining (it is about to stop) before it took room '" + name
          + "' over; the room stays on node " + engine.self);
      return;
    }
    if (a.readyToHand(to)) {
      hand(to);
      return;
    }
    if (engine.clock.millis() > deadline || !engine.isAlive(to)) {
      a.cancelMove();
      fail(ErrorCode.TIMEOUT, "replica " + to + " of room '" + name + "' did not catch up in time; the room stays on node " + engine.self);
      return;
    }
    engine.clock.schedule(POLL, () -> room.lane.execute(() -> waitToHand(a, to, deadline)));
  }

  private void hand(NodeId to) {
    LeaseKeeper k = room.succession.takeLease();
    long e = room.epoch;
    room.stepDown("room '" + name + "' moves to node " + to);
    Runnable tell = () -> engine.send(to, new Handover(name, e));
    if (k != null) {
      k.release().whenComplete((v, x) -> tell.run());
    } else {
      tell.run();
    }
    // generous: a takeover collects tails and reads the store; the room is safe meanwhile either way
    long left = 2 * (engine.settings.requestTimeout().toMillis() + engine.settings.failover().leaseDuration().toMillis());
    CompletableFuture<Void> o = out;
    if (o != null) {
      awaitTakeover(o, to, engine.clock.millis() + left);
    }
  }

  /**
   * Waits for {@code to} to administer the room ({@link #adminChanged} completes {@code o}); stops
   * waiting when {@code to} drains or dies (it may never take over: any replica does once the lease
   * is free) or at {@code deadline}. This node no longer administers the room either way.
   */
  private void awaitTakeover(CompletableFuture<Void> o, NodeId to, long deadline) {
    if (out != o) {
      return; // done (or a later move)
    }
    String gone = engine.isDraining(to) ? "started draining" : !engine.isAlive(to) ? "is down" : null;
    if (gone != null && draining) {
      log.info("node {} handed room '{}' to node {}, which {}; the room is off this node, a replica takes it over",
          engine.self, name, to, gone);
      out = null;
      target = null;
      o.complete(null);
      return;
    }
    if (gone != null) {
      fail(ErrorCode.UNAVAILABLE, "node " + to + " " + gone + " before it took room '" + name
          + "' over; a replica takes it over when the lease is free");
      return;
    }
    if (engine.clock.millis() > deadline) {
      fail(ErrorCode.TIMEOUT, "node " + to + " did not take room '" + name + "' over in time; a replica takes it over when the lease lapses");
      return;
    }
    engine.clock.schedule(POLL, () -> room.lane.execute(() -> awaitTakeover(o, to, deadline)));
  }

  private void fail(ErrorCode code, String why) {
    CompletableFuture<Void> o = out;
    out = null;
    target = null;
    if (o != null) {
      o.completeExceptionally(new ChatException(code, why));
    }
  }
}
