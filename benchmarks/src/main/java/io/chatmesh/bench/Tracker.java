package io.chatmesh.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Receives every delivery of a run: records end-to-end latency (now minus the stamp the generator
 * put in the message, which is the message's <em>intended</em> send time in open-loop runs, so the
 * histogram is corrected for coordinated omission), counts deliveries, and checks per subscriber
 * that every publisher's messages arrive exactly once and in publisher order, and (at the end) that
 * all subscribers of a room saw one identical order. Thread-safe: systems call {@link #deliver}
 * from any thread; calls for one subscriber may come from different threads.
 */
public final class Tracker {
  static final long MAX_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(120);

  private final Workload w;
  private final Sub[] subs;
  private final Recorder recorder = new Recorder(MAX_LATENCY_NANOS, 3);
  private final LongAdder delivered = new LongAdder();
  private final LongAdder misrouted = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder[] refusedBy; // per (room, publisher)

  public Tracker(Workload w) {
    this.w = w;
    this.subs = new Sub[w.rooms() * w.subscribers()];
    for (int i = 0; i < subs.length; i++) {
      subs[i] = new Sub();
    }
    this.refusedBy = new LongAdder[w.rooms() * Workload.PUBLISHERS_PER_ROOM];
    for (int i = 0; i < refusedBy.length; i++) {
      refusedBy[i] = new LongAdder();
    }
  }

  /** One delivery of {@code publisher}'s {@code pubSeq}-th message (1-based) to subscriber {@code sub} of {@code room}. */
  public void deliver(int room, int sub, int publisher, long pubSeq, long stamp) {
    long lat = System.nanoTime() - stamp;
    recorder.recordValue(Math.min(Math.max(lat, 0), MAX_LATENCY_NANOS));
    int k = publisher - room * Workload.PUBLISHERS_PER_ROOM;
    if (k < 0 || k >= Workload.PUBLISHERS_PER_ROOM) {
      misrouted.increment(); // a message of another room
    } else {
      subs[room * w.subscribers() + sub].accept(k, pubSeq, publisher);
    }
    delivered.increment();
  }

  /**
   * A publish the system refused: its send future failed, so the publisher was told and nothing of
   * it is expected to arrive (chatmesh's flow control refuses sends with UNAVAILABLE when too many
   * wait). Counted apart from silent loss.
   */
  public void publishFailed(int room, int k) {
    refused.increment();
    refusedBy[room * Workload.PUBLISHERS_PER_ROOM + k].increment();
  }

  /** Publishes refused so far ({@link #publishFailed}). */
  public long refused() {
    return refused.sum();
  }

  public long delivered() {
    return delivered.sum();
  }

  public long failures() {
    return misrouted.sum() + refused.sum();
  }

  /** Latency histogram since the previous call (nanoseconds). */
  public Histogram intervalHistogram() {
    return recorder.getIntervalHistogram();
  }

  /**
   * Final check after everything was drained: {@code published[room][k]} messages were published
   * by publisher k of each room.
   */
  public Check check(long[][] published) {
    long lost = 0, dup = 0, reorder = 0, divergent = 0;
    for (int r = 0; r < w.rooms(); r++) {
      Sub first = subs[r * w.subscribers()];
      for (int s = 0; s < w.subscribers(); s++) {
        Sub sub = subs[r * w.subscribers() + s];
        synchronized (sub) {
          dup += sub.dups;
          reorder += sub.reorders;
          for (int k = 0; k < Workload.PUBLISHERS_PER_ROOM; k++) {
            // a refused publish leaves one gap in this publisher's sequence at every subscriber
            lost += Math.max(0, Math.max(0, published[r][k] - sub.last[k]) + sub.gaps[k]
                - refusedBy[r * Workload.PUBLISHERS_PER_ROOM + k].sum());
          }
          if (s > 0 && (sub.count != first.count || sub.hash != first.hash)) {
            divergent++;
          }
        }
      }
    }
    return new Check(lost, dup, reorder, divergent, misrouted.sum(), refused.sum());
  }

  /**
   * Result of the final check; {@link #ok()} when nothing was lost silently, duplicated, reordered,
   * misrouted or diverged. {@code refused} publishes (failed futures: the publisher was told) are
   * reported but are not loss.
   */
  public record Check(long lost, long duplicated, long reordered, long divergentSubscribers, long misrouted, long refused) {
    public boolean ok() {
      return lost == 0 && duplicated == 0 && reordered == 0 && divergentSubscribers == 0 && misrouted == 0;
    }

    @Override
    public String toString() {
      if (ok()) {
        return refused == 0 ? "OK" : String.format(java.util.Locale.ROOT, "OK; %,d sends refused (sender told)", refused);
      }
      List<String> p = new ArrayList<>();
      if (lost > 0) p.add("lost=" + lost);
      if (duplicated > 0) p.add("dup=" + duplicated);
      if (reordered > 0) p.add("reordered=" + reordered);
      if (divergentSubscribers > 0) p.add("divergentSubs=" + divergentSubscribers);
      if (misrouted > 0) p.add("misrouted=" + misrouted);
      if (refused > 0) p.add("refused=" + refused);
      return String.join(",", p);
    }
  }

  private static final class Sub {
    final long[] last = new long[Workload.PUBLISHERS_PER_ROOM];
    final long[] gaps = new long[Workload.PUBLISHERS_PER_ROOM];
    long count;
    long hash = 17;
    long dups;
    long reorders;

    synchronized void accept(int k, long pubSeq, int publisher) {
      long prev = last[k];
      if (pubSeq == prev + 1) {
        last[k] = pubSeq;
      } else if (pubSeq > prev + 1) {
        // counted as reorder if the missing ones arrive later; as loss otherwise (gaps are netted out below)
        gaps[k] += pubSeq - prev - 1;
        last[k] = pubSeq;
      } else if (pubSeq == prev) {
        dups++;
      } else {
        // an older message after a newer one: a late (reordered) or a duplicate delivery
        reorders++;
        if (gaps[k] > 0) {
          gaps[k]--;
        }
      }
      count++;
      hash = hash * 1_000_003L + (publisher * 0x9E3779B97F4A7C15L ^ pubSeq);
    }
  }
}
