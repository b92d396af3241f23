package io.chatmesh.websocket;

import java.util.concurrent.atomic.LongAccumulator;

/**
 * What the connections of one gateway share, so that what one connection does counts for the
 * others: each user's room memberships on this node ({@link SharedJoins}), the per-user limits
 * ({@link UserLimiter}), the per-room message rates ({@link
 * RoomRates}), and the gateway's counters ({@link GatewayCounters}) with the most bytes any one
 * connection held.
 *
 * <p>Thread-safe: used by every connection's event loop (requests, sign-in, disconnects) and by
 * chatmesh threads (room events); each part is thread-safe on its own.
 */
final class GatewayState {
  /** Each user's memberships on this node, shared by all of that user's connections. */
  final SharedJoins joins = new SharedJoins();
  /** The per-user limits (connections, request rate, rooms created). */
  final UserLimiter userLimits;
  /** The per-room message rates (fairness between rooms). */
  final RoomRates roomRates;
  final GatewayCounters counters = new GatewayCounters();
  /** The most bytes one connection held at any time (queued frames and waiting events); for tests. */
  private final LongAccumulator peakHeldBytes = new LongAccumulator(Math::max, 0);

  GatewayState(GatewaySettings settings) {
    this.userLimits = new UserLimiter(settings.limits, settings.nanoTime);
    this.roomRates = new RoomRates(settings.limits.maxMessagesPerSecondPerRoom(), settings.nanoTime);
  }

  void recordHeldBytes(long bytes) {
    peakHeldBytes.accumulate(bytes);
  }

  long peakHeldBytes() {
    return peakHeldBytes.get();
  }
}
