package io.chatmesh.micrometer;

import java.util.function.Supplier;

/**
 * A snapshot source read by many meters in one scrape: the first meter reads it, the others within
 * {@code ttlNanos} reuse that copy, so a scrape costs one snapshot instead of one per meter.
 * Thread-safe (a race reads the source twice, which is harmless).
 */
final class Snapshots<T> {
  private final Supplier<T> source;
  private final long ttlNanos;
  private volatile Cached<T> cached;

  private record Cached<T>(T value, long at) {}

  Snapshots(Supplier<T> source, long ttlNanos) {
    this.source = source;
    this.ttlNanos = ttlNanos;
    this.cached = new Cached<>(source.get(), System.nanoTime());
  }

  T get() {
    long now = System.nanoTime();
    Cached<T> c = cached;
    if (now - c.at() > ttlNanos) {
      c = new Cached<>(source.get(), now);
      cached = c;
    }
    return c.value();
  }
}
