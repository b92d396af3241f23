package io.chatmesh.bench;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Drives one system through one workload: warm-up, a closed-loop maximum-throughput run, open-loop
 * steps at fixed offered rates up to saturation, a run at 50 % of saturation, and the final
 * loss/duplicate/order check. The generator is a single thread that publishes round-robin over all
 * publishers of all rooms; in open loop each message is stamped with its intended send time (so a
 * stalled system cannot slow the clock that latency is measured against) and the thread parks
 * between bursts instead of spinning, so it leaves the cores to the system under test. Not
 * thread-safe; one run at a time.
 */
public final class Runner {
  private final BenchSystem system;
  private final Workload w;
  static final double MAX_DRAIN_SECONDS = 120;
  private final Settings s;
  private final PrintStream out;
  private final Tracker tracker;
  private final long[][] published;
  private final int slots;
  private long totalPublished;
  private int nextSlot;
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  public Runner(BenchSystem system, Workload w, Settings s, PrintStream out) {
    this.system = system;
    this.w = w;
    this.s = s;
    this.out = out;
    this.tracker = new Tracker(w);
    this.published = new long[w.rooms()][Workload.PUBLISHERS_PER_ROOM];
    this.slots = w.rooms() * Workload.PUBLISHERS_PER_ROOM;
  }

  /** One open-loop step's measurements. */
  record Step(double offeredPubPerSec, long publishes, long missing, long refused, Histogram latency, double cpuSeconds, double seconds, long deliveries, String gc, String threads) {
    boolean pass() {
      return missing == 0 && refused == 0 && latency.getTotalCount() > 0
          && latency.getValueAtPercentile(99) < Settings.SATURATION_P99_MILLIS * 1e6;
    }
  }

  public Result run() throws Exception {
    String tag = "[" + system.name() + " " + w + "]";
    long t0 = System.nanoTime();
    system.start(w, tracker);
    log("%s started in %.1f s", tag, (System.nanoTime() - t0) / 1e9);

    long idleCpu0 = os.getProcessCpuTime();
    long idleT0 = System.nanoTime();
    LockSupport.parkNanos(500_000_000L);
    log("%s idle CPU: %.2f cores", tag, (os.getProcessCpuTime() - idleCpu0) / (double) (System.nanoTime() - idleT0));
    warmUp(tag);
    tracker.intervalHistogram();
    double[] closed = closedLoop(s.closedSeconds());
    double closedPubRate = closed[0];
    Histogram closedHist = tracker.intervalHistogram();
    log("%s closed loop (window %d msgs): %,.0f publishes/s = %,.0f delivered/s, p50 %s p99 %s, cpu %.2f s/M",
        tag, window(), closedPubRate, closedPubRate * w.fanOut(), ms(closedHist, 50), ms(closedHist, 99), closed[1]);
    boolean drained = awaitDrained(s.drainSeconds() * 4);

    List<Double> rates = new ArrayList<>();
    if (!s.fixedRates().isEmpty()) {
      rates.addAll(s.fixedRates());
    } else {
      for (double f : s.stepFractions()) {
        rates.add(Math.max(1, f * closedPubRate));
      }
    }
    double saturation = 0;
    boolean extend = s.fixedRates().isEmpty();
    int downSteps = 0;
    List<Step> passed = new ArrayList<>();
    for (int i = 0; i < rates.size(); i++) {
      double rate = rates.get(i);
      if (!drained) {
        break;
      }
      Step st = openLoop(rate, s.stepSeconds());
      if (!st.pass() && st.missing() == 0 && st.refused() == 0) {
        // the machine is shared and one GC pause can blow a short step's p99: a step fails only if
        // it fails twice in a row (both attempts are printed)
        logStep(tag, rate, st, "FAIL, retrying once");
        st = openLoop(rate, s.stepSeconds());
      }
      logStep(tag, rate, st, st.pass() ? "pass" : "FAIL");
      if (!st.pass()) {
        drained = awaitDrained(Math.max(10, s.drainSeconds() * 4));
        if (extend && saturation == 0 && downSteps < 3 && drained) {
          // not even the lowest step passed: step down until one does (a few tries)
          downSteps++;
          rates.subList(i + 1, rates.size()).clear();
          rates.add(rate / 3);
          continue;
        }
        break;
      }
      passed.add(st);
      saturation = rate;
      if (i > 0 && rates.get(i - 1) > rate) {
        break; // a down-step passed: that is the saturation point
      }
      if (extend && i == rates.size() - 1 && i < s.stepFractions().size() + 8) {
        rates.add(rate * s.growth()); // still passing at the last planned step: keep stepping up
      }
    }
    double p50 = Double.NaN, p99 = Double.NaN, p999 = Double.NaN, cpu = Double.NaN;
    if (saturation > 0) {
      // latency at 50 % of saturation: a step already run within 15 % of that rate if there is one
      // (before any overload), otherwise a dedicated run once the backlog has drained
      Step half = null;
      for (Step st : passed) {
        if (Math.abs(st.offeredPubPerSec() - saturation / 2) <= 0.15 * saturation / 2) {
          half = st;
        }
      }
      String source = "the step at that rate";
      if (half == null && (drained || awaitDrained(Math.max(10, s.drainSeconds() * 4)))) {
        half = openLoop(saturation / 2, s.halfSeconds());
        source = "a dedicated run";
      }
      if (half != null) {
        p50 = half.latency().getValueAtPercentile(50) / 1e3;
        p99 = half.latency().getValueAtPercentile(99) / 1e3;
        p999 = half.latency().getValueAtPercentile(99.9) / 1e3;
        cpu = half.deliveries() == 0 ? Double.NaN : half.cpuSeconds() / half.deliveries() * 1e6;
        log("%s at 50%% of saturation (%s), %,.0f pub/s (%,.0f deliv/s): p50 %s p99 %s p99.9 %s max %s, cpu %.2f s per M deliveries, missing %d, %s",
            tag, source, half.offeredPubPerSec(), half.offeredPubPerSec() * w.fanOut(), ms(half.latency(), 50), ms(half.latency(), 99),
            ms(half.latency(), 99.9), String.format(Locale.ROOT, "%.1fms", half.latency().getMaxValue() / 1e6), cpu, half.missing(), half.gc() + "; " + half.threads());
      }
    }
    awaitDrained(Math.max(10, s.drainSeconds() * 4)); // and on while deliveries progress
    Tracker.Check check = tracker.check(published);
    log("%s check: %s (published %,d, delivered %,d)", tag, check, totalPublished, tracker.delivered());
    long c0 = System.nanoTime();
    system.close();
    log("%s closed in %.1f s", tag, (System.nanoTime() - c0) / 1e9);
    return new Result(system.name(), w, closedPubRate * w.fanOut(), closed[1], saturation * w.fanOut(), p50, p99, p999, cpu, check.toString());
  }

  private void publishNext(long stamp) {
    int slot = nextSlot;
    nextSlot = slot + 1 == slots ? 0 : slot + 1;
    int room = slot / Workload.PUBLISHERS_PER_ROOM;
    int k = slot % Workload.PUBLISHERS_PER_ROOM;
    long seq = ++published[room][k];
    totalPublished++;
    system.publish(room, k, seq, stamp);
  }

  /**
   * Closed-loop warm-up for {@link Settings#warmupSeconds}, then on in one-second rounds until the
   * JIT has been quiet (under {@link #JIT_QUIET_MILLIS_PER_SECOND} ms of compilation per second) for
   * {@link #JIT_QUIET_ROUNDS} seconds in a row, up to {@link Settings#maxWarmupSeconds}. A fixed
   * short warm-up measured C2 still compiling
   * on a whole core of the two during the open-loop steps, which penalises the system with the
   * most code on its hot path.
   */
  private void warmUp(String tag) {
    var jit = ManagementFactory.getCompilationMXBean();
    long start = System.nanoTime();
    long jitStart = jit.getTotalCompilationTime();
    closedLoop(s.warmupSeconds());
    long lastJit = jit.getTotalCompilationTime();
    long lastRound = -1;
    int quietRounds = 0;
    while ((System.nanoTime() - start) / 1e9 < s.maxWarmupSeconds()) {
      closedLoop(1.0);
      long now = jit.getTotalCompilationTime();
      lastRound = now - lastJit;
      lastJit = now;
      quietRounds = lastRound < JIT_QUIET_MILLIS_PER_SECOND ? quietRounds + 1 : 0;
      if (quietRounds == JIT_QUIET_ROUNDS) {
        break;
      }
    }
    awaitDrained(s.drainSeconds() * 4);
    log("%s warm-up: %.1f s closed loop, JIT compiled for %,d ms during it (%d ms in the last second)",
        tag, (System.nanoTime() - start) / 1e9, lastJit - jitStart, lastRound);
  }

  static final long JIT_QUIET_MILLIS_PER_SECOND = 50;
  /** Quiet seconds in a row that end the warm-up (one quiet second was seen between two busy ones). */
  static final int JIT_QUIET_ROUNDS = 3;

  /** Closed loop: publish as fast as the window allows. Returns {publishes/s, cpu s per M deliveries}. */
  private double[] closedLoop(double seconds) {
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    long pub0 = totalPublished;
    long d0 = tracker.delivered();
    long cpu0 = os.getProcessCpuTime();
    long fan = w.fanOut();
    long base = expectedDeliveries() - tracker.delivered(); // deliveries outstanding before we start
    long now;
    long window = window();
    while ((now = System.nanoTime()) < end) {
      long inFlight = (expectedDeliveries() - tracker.delivered() - base) / fan;
      if (inFlight >= window) {
        LockSupport.parkNanos(20_000);
        continue;
      }
      long n = Math.min(64, window - inFlight);
      for (long i = 0; i < n; i++) {
        publishNext(System.nanoTime());
      }
    }
    double secs = (now - start) / 1e9;
    double pubs = totalPublished - pub0;
    long deliveries = tracker.delivered() - d0;
    double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
    return new double[] {pubs / secs, deliveries == 0 ? Double.NaN : cpu / deliveries * 1e6};
  }

  /** Messages in flight in closed loop: the setting, capped at 200k deliveries for huge fan-outs. */
  private long window() {
    return Math.min(s.window(), Math.max(8, 200_000 / w.fanOut()));
  }

  /** Open loop at a fixed offered rate; stamps are intended start times. */
  private Step openLoop(double pubPerSec, double seconds) {
    tracker.intervalHistogram();
    long d0 = tracker.delivered();
    long refused0 = tracker.refused();
    long cpu0 = os.getProcessCpuTime();
    long[] gc0 = gc();
    ThreadCpu threadCpu = new ThreadCpu();
    threadCpu.start();
    long n = Math.max(1, (long) (pubPerSec * seconds));
    double interval = 1e9 / pubPerSec;
    long start = System.nanoTime() + 1_000_000;
    long sent = 0;
    while (sent < n) {
      long now = System.nanoTime();
      while (sent < n) {
        long intended = start + (long) (sent * interval);
        if (intended > now) {
          break;
        }
        publishNext(intended);
        sent++;
      }
      if (sent < n) {
        long next = start + (long) (sent * interval);
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
      }
    }
    long tPub = System.nanoTime();
    long deadline = tPub + (long) (s.drainSeconds() * 1e9);
    while (tracker.delivered() < expectedDeliveries() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(200_000);
    }
    long deliveries = tracker.delivered() - d0;
    double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
    long missing = Math.max(0, expectedDeliveries() - tracker.delivered());
    long[] gc1 = gc();
    String gcs = (gc1[0] - gc0[0]) + " GCs " + (gc1[1] - gc0[1]) + " ms";
    return new Step(pubPerSec, n, missing, tracker.refused() - refused0, tracker.intervalHistogram(), cpu, (tPub - start) / 1e9, deliveries, gcs, threadCpu.report());
  }

  /** Deliveries owed so far: every publish to every subscriber of its room, except refused publishes. */
  private long expectedDeliveries() {
    return (totalPublished - tracker.refused()) * w.fanOut();
  }

  private void logStep(String tag, double rate, Step st, String verdict) {
    log("%s step %,.0f pub/s (%,.0f deliv/s): p50 %s p99 %s p99.9 %s max %s missing %d%s, cpu %.2f s/M, %s -> %s; %s",
        tag, rate, rate * w.fanOut(), ms(st.latency(), 50), ms(st.latency(), 99), ms(st.latency(), 99.9),
        String.format(Locale.ROOT, "%.1fms", st.latency().getMaxValue() / 1e6), st.missing(),
        st.refused() == 0 ? "" : String.format(Locale.ROOT, ", refused %,d", st.refused()),
        st.deliveries() == 0 ? Double.NaN : st.cpuSeconds() / st.deliveries() * 1e6, st.gc(), verdict, st.threads());
  }

  private static long[] gc() {
    long count = 0, millis = 0;
    for (var b : ManagementFactory.getGarbageCollectorMXBeans()) {
      count += Math.max(0, b.getCollectionCount());
      millis += Math.max(0, b.getCollectionTime());
    }
    return new long[] {count, millis};
  }

  /**
   * Waits until every published message was delivered everywhere. Gives up after {@code seconds},
   * but keeps waiting (up to {@link #MAX_DRAIN_SECONDS}) while deliveries still make progress, so a
   * long backlog left by an overloaded step is not mistaken for loss.
   */
  private boolean awaitDrained(double seconds) {
    long expected = expectedDeliveries();
    long start = System.nanoTime();
    long deadline = start + (long) (seconds * 1e9);
    long hardDeadline = start + (long) (MAX_DRAIN_SECONDS * 1e9);
    long lastCount = tracker.delivered();
    long lastProgress = start;
    while (tracker.delivered() < (expected = expectedDeliveries())) {
      long now = System.nanoTime();
      long c = tracker.delivered();
      if (c != lastCount) {
        lastCount = c;
        lastProgress = now;
      }
      boolean progressing = now - lastProgress < 3_000_000_000L;
      if ((now > deadline && !progressing) || now > hardDeadline) {
        log("[%s %s] not drained after %.0f s: %,d of %,d deliveries", system.name(), w, (now - start) / 1e9, tracker.delivered(), expected);
        return false;
      }
      LockSupport.parkNanos(1_000_000);
    }
    return true;
  }

  static String ms(Histogram h, double pct) {
    if (h.getTotalCount() == 0) {
      return "-";
    }
    return String.format(Locale.ROOT, "%.3fms", h.getValueAtPercentile(pct) / 1e6);
  }

  private void log(String fmt, Object... args) {
    out.println(String.format(Locale.ROOT, fmt, args));
    out.flush();
  }
}
