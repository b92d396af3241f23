package io.chatmesh.metrics;

import io.chatmesh.ErrorCode;
import java.util.EnumMap;
import java.util.Map;

/**
 * A node's counters and gauges at one moment, as returned by {@link io.chatmesh.ChatNode#metrics()}.
 * Counters ({@code long}) only grow from the node's start; gauges ({@code int}) are current values.
 * Values are read one by one without stopping the node, so two values of one snapshot may be a
 * moment apart. No value is per user or per room. Immutable; thread-safe.
 *
 * @param livePeers gauge: peers currently considered alive (this node not included)
 * @param suspicions counter: peers declared dead because they stopped answering heartbeats (a
 *     goodbye is not a suspicion)
 * @param roomsAdministered gauge: rooms this node is the admin of
 * @param roomsJoined gauge: rooms with at least one user joined through this node
 * @param members gauge: members of the rooms this node administers, summed
 * @param sendsAccepted counter: sends made on this node and acknowledged by the room's admin
 *     (a deduplicated retry included)
 * @param sendsRefused counter per error code: sends made on this node that failed (refused by the
 *     admin, or on this node: not a member, room unavailable or deleted, timeout); every {@link
 *     ErrorCode} is a key (0 when none). Arguments {@code Room.send} rejects before the room is
 *     involved (null, blank or too long text) are not counted.
 * @param deliveries counter: room events handed to the listeners of users joined through this node
 * @param resendRequests counter: gaps this node asked an admin to resend
 * @param entriesResent counter: log entries this node resent as an admin, answering resend requests
 * @param messagesLost counter: entries this node's members were told are lost (a gap the admin
 *     could no longer repair, or history no longer stored when joining)
 * @param dedupHits counter: sends this node, as an admin, recognised as a retry of a sequenced one
 * @param twoPcCommitted counter: two-phase commits this node coordinated that committed
 * @param twoPcRolledBack counter: two-phase commits this node coordinated that rolled back
 * @param nodeLaneQueued gauge: tasks queued on the node lane (membership, directory, 2PC)
 * @param roomLanesQueued gauge: tasks queued on all room lanes, summed
 * @param storeLaneQueued gauge: room records queued for the history store
 * @param oldestQueuedNanos gauge: age of the oldest task queued on any of these lanes (0 if none)
 * @param historyBacklog gauge: entries sequenced and waiting for their history-store append
 * @param roomsStoreFailing gauge: administered rooms whose history store append is failing (they
 *     refuse writes and retry)
 * @param sendsHeld counter: sends the admin held because a member node's link was congested
 * @param sendsWaited counter: sends that waited on this node for the flow-control window to the
 *     admin (too many in flight, or the link congested)
 * @param takeovers counter: rooms this node took over (failover after its admin died or lost its
 *     lease, a planned move, or taking a room back after a restart); 0 without failover
 */
public record NodeMetricsSnapshot(
    int livePeers,
    long suspicions,
    int roomsAdministered,
    int roomsJoined,
    int members,
    long sendsAccepted,
    Map<ErrorCode, Long> sendsRefused,
    long deliveries,
    long resendRequests,
    long entriesResent,
    long messagesLost,
    long dedupHits,
    long twoPcCommitted,
    long twoPcRolledBack,
    int nodeLaneQueued,
    int roomLanesQueued,
    int storeLaneQueued,
    long oldestQueuedNanos,
    int historyBacklog,
    int roomsStoreFailing,
    long sendsHeld,
    long sendsWaited,
    long takeovers) {

  /**
   * Copies {@code sendsRefused} into an unmodifiable map with every error code as a key.
   *
   * @param livePeers gauge: peers currently considered alive (this node not included)
   * @param suspicions counter: peers declared dead because they stopped answering heartbeats (a
   *     goodbye is not a suspicion)
   * @param roomsAdministered gauge: rooms this node is the admin of
   * @param roomsJoined gauge: rooms with at least one user joined through this node
   * @param members gauge: members of the rooms this node administers, summed
   * @param sendsAccepted counter: sends made on this node and acknowledged by the room's admin
   *     (a deduplicated retry included)
   * @param sendsRefused counter per error code: sends made on this node that failed (refused by the
   *     admin, or on this node: not a member, room unavailable or deleted, timeout); every {@link
   *     ErrorCode} is a key (0 when none). Arguments {@code Room.send} rejects before the room is
   *     involved (null, blank or too long text) are not counted.
   * @param deliveries counter: room events handed to the listeners of users joined through this node
   * @param resendRequests counter: gaps this node asked an admin to resend
   * @param entriesResent counter: log entries this node resent as an admin, answering resend requests
   * @param messagesLost counter: entries this node's members were told are lost (a gap the admin
   *     could no longer repair, or history no longer stored when joining)
   * @param dedupHits counter: sends this node, as an admin, recognised as a retry of a sequenced one
   * @param twoPcCommitted counter: two-phase commits this node coordinated that committed
   * @param twoPcRolledBack counter: two-phase commits this node coordinated that rolled back
   * @param nodeLaneQueued gauge: tasks queued on the node lane (membership, directory, 2PC)
   * @param roomLanesQueued gauge: tasks queued on all room lanes, summed
   * @param storeLaneQueued gauge: room records queued for the history store
   * @param oldestQueuedNanos gauge: age of the oldest task queued on any of these lanes (0 if none)
   * @param historyBacklog gauge: entries sequenced and waiting for their history-store append
   * @param roomsStoreFailing gauge: administered rooms whose history store append is failing (they
   *     refuse writes and retry)
   * @param sendsHeld counter: sends the admin held because a member node's link was congested
   * @param sendsWaited counter: sends that waited on this node for the flow-control window to the
   *     admin (too many in flight, or the link congested)
   * @param takeovers counter: rooms this node took over (failover, planned move, restart)
   */
  public NodeMetricsSnapshot {
    EnumMap<ErrorCode, Long> all = new EnumMap<>(ErrorCode.class);
    for (ErrorCode c : ErrorCode.values()) {
      all.put(c, sendsRefused.getOrDefault(c, 0L));
    }
    sendsRefused = java.util.Collections.unmodifiableMap(all);
  }

  /**
   * Sends refused with {@code code}.
   *
   * @param code the error code
   * @return how many sends failed with it
   */
  public long sendsRefused(ErrorCode code) {
    return sendsRefused.get(code);
  }

  /**
   * Sends refused, all codes summed.
   *
   * @return the total
   */
  public long sendsRefusedTotal() {
    long n = 0;
    for (long v : sendsRefused.values()) {
      n += v;
    }
    return n;
  }
}
