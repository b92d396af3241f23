package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.twopc.TwoPhaseCommit;
import io.chatmesh.twopc.TwoPhaseCommit.Transaction;
import io.chatmesh.twopc.TwoPhaseCommit.Vote;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * This node's part in deleting a room ({@link TwoPhaseCommit.Kind#DELETE_ROOM}): the room's local
 * state votes on its own lane (ABORT while it has operations in flight to the admin), a commit
 * removes the room from the directory here and ends the local room on its lane, a rollback releases
 * it. The admin's side (it coordinates) is in {@link RoomState#delete}; with failover it retires the
 * room at the lease backend before any COMMIT ({@link #retire}).
 *
 * <p>Threads: called by the two-phase commit engine on the node lane; every room-state call hops
 * onto the room's lane.
 */
final class RoomDeletion implements TwoPhaseCommit.Participant {
  private final SerialExecutor nodeLane;
  private final Map<String, RoomState> rooms;
  private final RoomDirectory directory;

  RoomDeletion(SerialExecutor nodeLane, Map<String, RoomState> rooms, RoomDirectory directory) {
    this.nodeLane = nodeLane;
    this.rooms = rooms;
    this.directory = directory;
  }

  @Override
  public CompletionStage<Vote> prepare(Transaction tx) {
    nodeLane.assertCurrent();
    RoomState rs = rooms.get(tx.room());
    if (rs == null) {
      return CompletableFuture.completedFuture(Vote.readyVote());
    }
    if (!rs.admin.equals(tx.coordinator())) {
      return CompletableFuture.completedFuture(Vote.abort(ErrorCode.NOT_ADMIN,
          "node " + tx.coordinator() + " is not the admin of room '" + tx.room() + "' (" + rs.admin + " is); only the admin deletes it"));
    }
    CompletableFuture<Vote> v = new CompletableFuture<>();
    rs.lane.execute(() -> v.complete(rs.prepareDelete(tx)));
    return v;
  }

  /**
   * With failover, the coordinator's step between the votes and the COMMIT ({@link
   * TwoPhaseCommitEngine#beforeCommit}): the admin retires the room at the lease backend ({@link
   * RoomState#retireForDeletion}), which is the deletion's commit point and its tombstone (a replica
   * that missed the deletion can no longer take the room over). A failure rolls the deletion back.
   */
  CompletionStage<Void> retire(Transaction tx) {
    nodeLane.assertCurrent();
    RoomState rs = rooms.get(tx.room());
    if (rs == null) {
      return CompletableFuture.failedFuture(
          new ChatException(ErrorCode.ABORTED, "room '" + tx.room() + "' has no local state on its deleting admin any more"));
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    rs.lane.execute(() -> rs.retireForDeletion(tx).whenComplete((v, e) -> {
      if (e == null) {
        done.complete(null);
      } else {
        done.completeExceptionally(e);
      }
    }));
    return done;
  }

  @Override
  public void commit(Transaction tx) {
    nodeLane.assertCurrent();
    directory.deleted(tx.room(), tx.coordinator());
    RoomState rs = rooms.get(tx.room());
    if (rs != null && rs.admin.equals(tx.coordinator())) { // a room is deleted only by its admin
      rs.lane.execute(() -> rs.commitDelete(tx));
    }
  }

  @Override
  public void rollback(Transaction tx) {
    nodeLane.assertCurrent();
    if (tx.room().isEmpty()) { // a rollback that names only the transaction: any room may hold it
      for (RoomState rs : rooms.values()) {
        rs.lane.execute(() -> rs.rollbackDelete(tx));
      }
      return;
    }
    RoomState rs = rooms.get(tx.room());
    if (rs != null) {
      rs.lane.execute(() -> rs.rollbackDelete(tx));
    }
  }
}
