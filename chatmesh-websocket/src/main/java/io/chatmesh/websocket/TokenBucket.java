package io.chatmesh.websocket;

import java.util.function.LongSupplier;

/**
 * A token bucket: {@code ratePerSecond} tokens a second, at most {@code ratePerSecond} saved up
 * (so a burst of that size is allowed after a quiet second). Not thread-safe: one per connection,
 * used on its event loop.
 */
final class TokenBucket {
  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private final LongSupplier nanoTime;
  private final long capacityNanos;
  private final long nanosPerToken;
  /** Accumulated credit in nanoseconds of refill; one token costs {@link #nanosPerToken}. */
  private long creditNanos;
  private long last;

  TokenBucket(int ratePerSecond, LongSupplier nanoTime) {
    if (ratePerSecond <= 0) {
      throw new IllegalArgumentException("ratePerSecond must be positive, was " + ratePerSecond);
    }
    this.nanoTime = nanoTime;
    this.nanosPerToken = NANOS_PER_SECOND / ratePerSecond;
    this.capacityNanos = nanosPerToken * ratePerSecond;
    this.creditNanos = capacityNanos;
    this.last = nanoTime.getAsLong();
  }

  /** Takes one token if there is one. */
  boolean tryAcquire() {
    long now = nanoTime.getAsLong();
    long elapsed = now - last;
    last = now;
    if (elapsed > 0) {
      creditNanos = Math.min(capacityNanos, creditNanos + elapsed);
    }
    if (creditNanos >= nanosPerToken) {
      creditNanos -= nanosPerToken;
      return true;
    }
    return false;
  }
}
