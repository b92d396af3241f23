package io.chatmesh.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Member-side reordering buffer for one room: accepts entries in any order, with duplicates, and
 * releases them strictly in sequence. Entries below the cursor are dropped as duplicates; entries
 * above it wait (bounded by {@code maxBuffered}) until the gap before them is filled by a resend or
 * {@link #skipTo declared lost}.
 *
 * <p>Not thread-safe: used on its room's serial lane.
 *
 * @param <T> the entry type
 */
final class InOrderDelivery<T> {
  private final ToLongFunction<T> seqOf;
  private final int maxBuffered;
  private final TreeMap<Long, T> ahead = new TreeMap<>();
  private long next;

  /**
   * @param seqOf extracts an entry's seq
   * @param maxBuffered most entries held ahead of a gap; beyond it the newest are dropped (and will
   *     be fetched again with the gap)
   */
  InOrderDelivery(ToLongFunction<T> seqOf, int maxBuffered) {
    this.seqOf = seqOf;
    this.maxBuffered = maxBuffered;
  }

  /** True once a cursor was set; entries offered before that are buffered. */
  boolean started() {
    return next > 0;
  }

  /** The next seq to release (0 when not started). */
  long nextExpected() {
    return next;
  }

  /** Sets the cursor: {@code seq} is the next entry to release; buffered entries below it are dropped. */
  List<T> startAt(long seq) {
    next = seq;
    ahead.headMap(seq).clear();
    return drain();
  }

  /**
   * Moves the cursor back to {@code seq}: the entries released from there on are no longer the
   * room's log (lost at failover, see {@link DeliveredEpochs}); what was buffered ahead is dropped
   * (a resend fetches the log's entries again).
   */
  void rewindTo(long seq) {
    if (next > 0 && seq < next) {
      next = seq;
      ahead.clear();
    }
  }

  /** Forgets everything (the node has no members left in the room). */
  void reset() {
    next = 0;
    ahead.clear();
  }

  /** Offers an entry; returns the entries now releasable, in order (possibly empty). */
  List<T> offer(T entry) {
    long seq = seqOf.applyAsLong(entry);
    if (next > 0 && seq < next) {
      return List.of();
    }
    if (seq == next && ahead.isEmpty()) {
      // the common case, in order with nothing buffered: no map, no list to fill
      next++;
      return List.of(entry);
    }
    if (!ahead.containsKey(seq)) {
      if (ahead.size() >= maxBuffered && seq > ahead.lastKey()) {
        return List.of();
      }
      ahead.put(seq, entry);
    }
    return next > 0 ? drain() : List.of();
  }

  /**
   * Declares {@code next..seq-1} lost and moves the cursor to {@code seq}; returns entries now
   * releasable.
   */
  List<T> skipTo(long seq) {
    if (seq > next) {
      next = seq;
      ahead.headMap(seq).clear();
    }
    return drain();
  }

  /** The first missing seq range {@code [from, to]} before a buffered entry, or null if none. */
  long @Nullable [] firstGap() {
    if (next == 0 || ahead.isEmpty()) {
      return null;
    }
    long first = ahead.firstKey();
    return first > next ? new long[] {next, first - 1} : null;
  }

  /** Number of entries waiting behind a gap. */
  int buffered() {
    return ahead.size();
  }

  private List<T> drain() {
    List<T> out = new ArrayList<>();
    while (!ahead.isEmpty() && ahead.firstKey() == next) {
      out.add(ahead.pollFirstEntry().getValue());
      next++;
    }
    return out;
  }
}
