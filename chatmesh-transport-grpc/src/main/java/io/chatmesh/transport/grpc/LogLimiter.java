package io.chatmesh.transport.grpc;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Says whether a repeating log line (a refused link retried every few seconds, an unknown message
 * type arriving on every batch) should be written now: once per {@code interval} per key. Bounded:
 * at most {@link #MAX_KEYS} keys are remembered; beyond that the memory is cleared (worst case a
 * line is written once more). Thread-safe.
 */
final class LogLimiter {
  static final int MAX_KEYS = 1024;

  private final long intervalNanos;
  private final ConcurrentHashMap<String, Long> last = new ConcurrentHashMap<>();

  LogLimiter(long interval, TimeUnit unit) {
    this.intervalNanos = unit.toNanos(interval);
  }

  /** True if nothing was logged for {@code key} in the last interval (and records now). */
  boolean shouldLog(String key) {
    long now = System.nanoTime();
    Long before = last.get(key);
    if (before != null && now - before < intervalNanos) {
      return false;
    }
    if (last.size() >= MAX_KEYS) {
      last.clear();
    }
    // two threads may both pass for one key at the same moment: one extra line, no harm
    last.put(key, now);
    return true;
  }
}
