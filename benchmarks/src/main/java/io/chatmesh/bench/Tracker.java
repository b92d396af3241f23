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
  private final LongAdder failures = new LongAdder();

  public Tracker(Workload w) {
    this.w = w;
    this.subs = new Sub[w.rooms() * w.subscribers()];
    for (int i = 0; i < subs.length; i++) {
      subs[i] = new Sub();
    }
  }

  /** One delivery of {@code publisher}'s {@code pubSeq}-th message (1-based) to subscriber {@code sub} of {@code room}. */
  public void deliver(int room, int sub, int publisher, long pubSeq, long stamp) {
    long lat = System.nanoTime() - stamp;
    recorder.recordValue(Math.min(Math.max(lat, 0), MAX_LATENCY_NANOS));
    int k = publisher - room * Workload.PUBLISHERS_PER_ROOM;
    if (k < 0 || k >= Workload.PUBLISHERS_PER_ROOM) {
      failures.increment(); // a message of another room: misrouted
    } else {
      subs[room * w.subscribers() + sub].accept(k, pubSeq, publisher);
    }
    delivered.increment();
  }

  /** A publish that the system reported as failed (e.g. a send future completing exceptionally). */
  public void publishFailed() {
    failures.increment();
  }

  public long delivered() {
    return delivered.sum();
  }

  public long failures() {
    return failures.sum();
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
            lost += Math.max(0, published[r][k] - sub.last[k]) + sub.gaps[k];
          }
          if (s > 0 && (sub.count != first.count || sub.hash != first.hash)) {
            divergent++;
          }
        }
      }
    }
    return new Check(lost, dup, reorder, divergent, failures.sum());
  }

  /** Result of the final check; {@link #ok()} when nothing was lost, duplicated, reordered or diverged. */
  public record Check(long lost, long duplicated, long reordered, long divergentSubscribers, long failures) {
    public boolean ok() {
      return lost == 0 && duplicated == 0 && reordered == 0 && divergentSubscribers == 0 && failures == 0;
    }

    @Override
    public String toString() {
      if (ok()) {
        return "OK";
      }
      List<String> p = new ArrayList<>();
      if (lost > 0) p.add("lost=" + lost);
      if (duplicated > 0) p.add("dup=" + duplicated);
      if (reordered > 0) p.add("reordered=" + reordered);
      if (divergentSubscribers > 0) p.add("divergentSubs=" + divergentSubscribers);
      if (failures > 0) p.add("failures=" + failures);
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
