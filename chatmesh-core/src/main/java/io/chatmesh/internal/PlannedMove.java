package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.wire.Handover;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * A planned move of a room this node administers ({@link io.chatmesh.Room#moveTo}, {@link
 * io.chatmesh.ChatNode#drain}): the admin refuses writes, waits until nothing is pending and the
 * target holds every entry, releases its lease, steps down and sends {@link Handover}; the move
 * completes when this node sees the target administer the room. Not thread-safe: room lane only.
 */
final class PlannedMove {
  private final RoomState room;
  private final NodeEngine engine;
  private final String name;
  private @Nullable NodeId target;
  private @Nullable CompletableFuture<Void> out;

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
    if (out != null) {
      result.completeExceptionally(new ChatException(ErrorCode.ABORTED, "room '" + name + "' is already moving to node " + target));
      return;
    }
    target = to;
    out = result;
    a.startMove(to);
    waitToHand(a, to, engine.clock.millis() + 2 * engine.settings.requestTimeout().toMillis());
  }

  /** ChatNode.drain: moves the room to its most caught-up live replica. */
  void drain(CompletableFuture<Void> result) {
    AdminRole a = room.adminRole();
    if (a == null) {
      result.complete(null); // not administered here (any more)
      return;
    }
    List<NodeId> targets = a.liveReplicasByProgress();
    if (targets.isEmpty()) {
      result.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE, "room '" + name + "' has no live replica to move to"
          + (engine.settings.failover() != null ? "" : " (no failover configured)")));
      return;
    }
    moveTo(targets.get(0), result);
  }

  /** The room's admin changed: the move is done if it is the target. */
  void adminChanged(NodeId newAdmin) {
    if (out != null && newAdmin.equals(target)) {
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
    if (a.readyToHand(to)) {
      hand(to);
      return;
    }
    if (engine.clock.millis() > deadline || !engine.isAlive(to)) {
      a.cancelMove();
      fail(ErrorCode.TIMEOUT, "replica " + to + " of room '" + name + "' did not catch up in time; the room stays on node " + engine.self);
      return;
    }
    engine.clock.schedule(Duration.ofMillis(10), () -> room.lane.execute(() -> waitToHand(a, to, deadline)));
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
    engine.clock.schedule(Duration.ofMillis(left), () -> room.lane.execute(() -> fail(ErrorCode.TIMEOUT,
        "node " + to + " did not take room '" + name + "' over in time; a replica takes it over when the lease lapses")));
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
