package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.RoomSummary;
import io.chatmesh.spi.lease.RoomLeases;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * With failover: a room deleted while this node did not hear the deletion (partitioned, paused)
 * stays in its directory, unavailable, because only an explicit removal ends a room there. Every
 * few heartbeats ({@link #check}) this node asks the lease backend ({@link RoomLeases#retired})
 * about each room it lists unavailable under another admin, at most one question per room in
 * flight; a retired room is dropped from the directory and ended locally ({@link
 * RoomState#deletedElsewhere}), so every node's directory converges.
 *
 * <p>Threads: node lane only; the backend's answers hop back onto it.
 */
final class RetiredRooms {
  private static final Logger log = LoggerFactory.getLogger(RetiredRooms.class);

  private final RoomLeases leases;
  private final SerialExecutor nodeLane;
  private final RoomDirectory directory;
  private final Map<String, RoomState> rooms;
  /** Rooms with a question in flight (node lane). */
  private final Set<String> asking = new HashSet<>();

  RetiredRooms(RoomLeases leases, SerialExecutor nodeLane, RoomDirectory directory, Map<String, RoomState> rooms) {
    this.leases = leases;
    this.nodeLane = nodeLane;
    this.directory = directory;
    this.rooms = rooms;
  }

  /** Asks about every room listed unavailable under another admin that has no question in flight. */
  void check() {
    nodeLane.assertCurrent();
    for (RoomSummary s : directory.unavailableOthers()) {
      if (asking.add(s.name())) {
        ask(s).whenComplete((retired, e) -> nodeLane.execute(() -> answered(s, retired, e)));
      }
    }
  }

  private CompletableFuture<Boolean> ask(RoomSummary s) {
    try {
      return leases.retired(s.name());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private void answered(RoomSummary s, Boolean retired, Throwable error) {
    asking.remove(s.name());
    if (error != null) {
      log.debug("could not ask whether room '{}' is retired: {}", s.name(), ChatException.from(error).getMessage());
      return;
    }
    if (!Boolean.TRUE.equals(retired)) {
      return;
    }
    directory.dropRetired(s.name(), s.epoch());
    RoomState rs = rooms.get(s.name());
    if (rs != null) {
      rs.lane.execute(() -> rs.deletedElsewhere("the lease backend has it retired", s.epoch()));
    }
  }
}
