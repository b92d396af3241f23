package io.chatmesh.internal;

/**
 * Tells whether this node itself was stalled between two heartbeat ticks (a GC pause, an
 * overloaded machine). After such a pause the failure detector skips one round: the peers'
 * heartbeats may still sit unread in this node's queues, and judging them now would blame them for
 * our own silence. Used on the node lane only.
 */
final class PauseGuard {
  private final long thresholdMillis;
  private long lastTickAt = Long.MIN_VALUE;

  /** A tick later than {@code thresholdMillis} after the previous one counts as a pause. */
  PauseGuard(long thresholdMillis) {
    this.thresholdMillis = thresholdMillis;
  }

  /** Records a tick at {@code now}; returns the pause length in ms, or 0 if the tick was on time. */
  long tick(long now) {
    long prev = lastTickAt;
    lastTickAt = now;
    if (prev == Long.MIN_VALUE) {
      return 0;
    }
    long gap = now - prev;
    return gap > thresholdMillis ? gap : 0;
  }
}
