package io.chatmesh.internal;

import io.chatmesh.NodeHealth;
import io.chatmesh.RoomSummary;
import io.chatmesh.metrics.NodeMetricsSnapshot;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Reads a node's {@link NodeMetricsSnapshot} and {@link NodeHealth} from the engine's parts without
 * stopping them: counters, the directory's view, the lanes' queue gauges and the rooms' local-user
 * counts (a volatile each). Any thread; never waits for a lane. Internal.
 */
final class NodeStatus {
  private final NodeEngine engine;
  private final SerialExecutor storeLane;

  NodeStatus(NodeEngine engine, SerialExecutor storeLane) {
    this.engine = engine;
    this.storeLane = storeLane;
  }

  NodeMetricsSnapshot metrics() {
    int administered = 0;
    int members = 0;
    for (RoomSummary s : engine.directory.list()) {
      if (s.admin().equals(engine.self)) {
        administered++;
        members += s.memberCount();
      }
    }
    long now = System.nanoTime();
    int joined = 0;
    int roomQueued = 0;
    long oldest = Math.max(engine.nodeLane.oldestWaitNanos(now), storeLane.oldestWaitNanos(now));
    for (RoomState rs : engine.rooms.values()) {
      if (rs.localCount > 0) {
        joined++;
      }
      roomQueued += rs.lane.queued();
      oldest = Math.max(oldest, rs.lane.oldestWaitNanos(now));
    }
    NodeMetrics m = engine.metrics;
    return new NodeMetricsSnapshot(
        engine.peers.alive().size(),
        m.suspicions.sum(),
        administered,
        joined,
        members,
        m.sendsAccepted.sum(),
        m.sendsRefused(),
        m.deliveries.sum(),
        m.resendRequests.sum(),
        m.entriesResent.sum(),
        m.messagesLost.sum(),
        m.dedupHits.sum(),
        m.twoPcCommitted.sum(),
        m.twoPcRolledBack.sum(),
        engine.nodeLane.queued(),
        roomQueued,
        storeLane.queued(),
        oldest,
        (int) Math.max(0, m.historyBacklog.sum()),
        (int) Math.max(0, m.roomsStoreFailing.sum()),
        m.sendsHeld.sum(),
        m.sendsWaited.sum(),
        m.failovers.sum());
  }

  /**
   * The node's health.
   *
   * @param notRunning why the node is not running (not started, closed), or null while it runs
   * @param address the transport's address, empty before it was bound
   */
  NodeHealth health(@Nullable String notRunning, String address) {
    List<String> problems = new ArrayList<>();
    if (notRunning != null) {
      problems.add(notRunning);
    }
    boolean listening = notRunning == null && !address.isEmpty();
    if (!listening) {
      problems.add("the transport is not listening");
    }
    List<String> seeds = engine.settings.seeds();
    boolean seedsMet = engine.quorum.isReady(); // the same readiness that gates room creation
    if (!seedsMet) {
      problems.add("has not met its seeds yet, nor a majority of the nodes it knows (seeds " + seeds + ")");
    }
    long failing = engine.metrics.roomsStoreFailing.sum();
    boolean store = failing <= 0;
    if (!store) {
      problems.add("the history store fails appends for " + failing + " room(s)");
    }
    return new NodeHealth(notRunning == null, listening, seedsMet, store, problems);
  }
}
