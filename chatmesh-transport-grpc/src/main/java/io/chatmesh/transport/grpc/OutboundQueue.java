package io.chatmesh.transport.grpc;

import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The queue of one {@link OutboundLink}: encoded EnvelopeBatch records ({@link
 * BatchCodec#encodeRecord}) waiting for the stream, bounded by count and by bytes ({@code
 * maxQueuedEnvelopes}, {@code maxQueuedBytes}: a record that does not fit is refused), taken off in
 * batches of about {@code maxBatchBytes}. It also keeps the two flags the link reports on: congested
 * (above half of either bound, until drained to a quarter of both; see {@link
 * io.chatmesh.spi.transport.Transport#isWritable}) and whether the current overflow episode was
 * logged (until the queue drains below half).
 *
 * <p>Thread-safety: {@link #offer}, {@link #writable}, {@link #size}, {@link #bytes} and {@link
 * #firstOverflow} may be called from any thread (lock-free); {@link #takeBatch}, {@link #isEmpty}
 * and {@link #clear} only by the link's serialised consumer, one thread at a time.
 */
final class OutboundQueue {
  private final ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger count = new AtomicInteger();
  private final AtomicLong bytes = new AtomicLong();
  private final int maxEnvelopes;
  private final long maxBytes;
  private final int maxBatchBytes;
  private volatile boolean fullLogged;
  /** Above the high-water mark (half the bound) until drained below the low-water mark (a quarter). */
  private volatile boolean congested;

  OutboundQueue(int maxEnvelopes, long maxBytes, int maxBatchBytes) {
    this.maxEnvelopes = maxEnvelopes;
    this.maxBytes = maxBytes;
    this.maxBatchBytes = maxBatchBytes;
  }

  /** Adds {@code record} if both bounds allow it; false (nothing added) if the queue is full. */
  boolean offer(byte[] record) {
    int size = record.length;
    boolean fits = count.incrementAndGet() <= maxEnvelopes;
    if (fits) {
      fits = bytes.addAndGet(size) <= maxBytes;
      if (!fits) {
        bytes.addAndGet(-size);
      }
    }
    if (!fits) {
      count.decrementAndGet();
      return false;
    }
    queue.add(record);
    if (!congested && (count.get() > maxEnvelopes / 2 || bytes.get() > maxBytes / 2)) {
      congested = true;
    }
    return true;
  }

  /**
   * True for the first refused offer of an overflow episode (the caller logs it), false for the
   * rest; a new episode starts once a batch taken leaves the queue below half its count bound.
   */
  boolean firstOverflow() {
    if (fullLogged) {
      return false;
    }
    fullLogged = true;
    return true;
  }

  /** False while congested: above half of either bound, until drained below a quarter of both. */
  boolean writable() {
    if (congested && count.get() <= maxEnvelopes / 4 && bytes.get() <= maxBytes / 4) {
      congested = false;
    }
    return !congested;
  }

  /** Records waiting. */
  int size() {
    return count.get();
  }

  /** Encoded bytes of the records waiting. */
  long bytes() {
    return bytes.get();
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }

  /**
   * Takes the next records, in order, up to {@code maxBatchBytes} together (at least one, however
   * large), as one batch; null if the queue is empty.
   */
  LinkMethod.@Nullable Batch takeBatch() {
    // the batch is the concatenation of the queued records (each: tag, length, envelope bytes)
    byte[][] parts = new byte[Math.max(1, Math.min(count.get(), 256))][];
    int total = 0;
    int n = 0;
    byte[] item;
    while ((item = queue.peek()) != null) {
      int cost = item.length;
      if (n > 0 && total + cost > maxBatchBytes) {
        break;
      }
      queue.poll();
      count.decrementAndGet();
      bytes.addAndGet(-cost);
      if (n == parts.length) {
        parts = Arrays.copyOf(parts, n * 2);
      }
      parts[n++] = item;
      total += cost;
    }
    if (n == 0) {
      return null;
    }
    if (fullLogged && count.get() < maxEnvelopes / 2) {
      fullLogged = false; // log the next overflow episode again
    }
    return new LinkMethod.Batch(parts, n);
  }

  /** Drops every record waiting; returns how many. */
  int clear() {
    int dropped = count.getAndSet(0);
    bytes.set(0);
    queue.clear();
    return dropped;
  }
}
