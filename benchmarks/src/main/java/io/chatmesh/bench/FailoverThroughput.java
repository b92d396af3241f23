package io.chatmesh.bench;

import io.chatmesh.ChatMessage;
import io.chatmesh.Room;
import io.chatmesh.UserId;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Part (a) of {@link FailoverBench}, one configuration in this JVM: one room administered by
 * {@code n0} of a {@link FailoverCluster}, three senders (one member per node: {@code n0} is the
 * admin, {@code n1} and {@code n2} forward), round-robin. Warm-up until the JIT is quiet (as {@link
 * Runner} does), a closed loop with a window of sends in flight (acked sends per second and their
 * latency), then open-loop steps at fixed offered rates whose ack latency is measured from each
 * send's intended start (coordinated omission corrected). Finally every member must have received
 * every acknowledged send exactly once and in its sender's order. Not thread-safe: one run.
 */
final class FailoverThroughput {
  static final String ROOM = "bench";
  private static final long MAX_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(120);

  private final FailoverCluster.Mode mode;
  private final FailoverBench.Options o;
  private final PrintStream out;
  private final String tag;
  private final Recorder recorder = new Recorder(MAX_LATENCY_NANOS, 3);
  /** Sends and answers of the current phase (each phase has its own cluster); answers of an old phase count there. */
  private Phase ph = new Phase();
  private long failedTotal;
  private final AtomicReference<String> firstFailure = new AtomicReference<>();
  private final long[] pubSeq = new long[FailoverCluster.NODES];
  private final Room[] handles = new Room[FailoverCluster.NODES];
  private final UserId[] users = new UserId[FailoverCluster.NODES];
  private final MemberCheck[] members = new MemberCheck[FailoverCluster.NODES];
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private int nextSender;

  private static final class Phase {
    final LongAdder acked = new LongAdder();
    final LongAdder failed = new LongAdder();
    private final BitSet[] ackedSeqs = new BitSet[FailoverCluster.NODES];
    long sent;

    Phase() {
      for (int i = 0; i < ackedSeqs.length; i++) {
        ackedSeqs[i] = new BitSet();
      }
    }

    void ack(int sender, long seq) {
      synchronized (ackedSeqs[sender]) {
        ackedSeqs[sender].set((int) seq);
      }
      acked.increment();
    }

    BitSet ackedCopy(int sender) {
      synchronized (ackedSeqs[sender]) {
        return (BitSet) ackedSeqs[sender].clone();
      }
    }
  }

  FailoverThroughput(FailoverCluster.Mode mode, FailoverBench.Options o, PrintStream out) {
    this.mode = mode;
    this.o = o;
    this.out = out;
    this.tag = "[" + mode.label + "]";
  }

  /**
   * One open-loop step.
   *
   * @param rate offered sends per second
   * @param p50 ack latency in microseconds, likewise the others
   * @param failed sends that failed in the step
   */
  record Step(double rate, double p50, double p99, double p999, double max, long failed) {}

  /**
   * The outcome, as one line the parent parses.
   *
   * @param config the mode's label
   * @param closedPerSec acked sends per second in the closed loop
   * @param closedP50 closed-loop ack latency p50, microseconds (includes queueing in the window)
   * @param closedP99 closed-loop ack latency p99, microseconds
   * @param cpuPerMillion process CPU seconds per million acked sends in the closed loop
   * @param steps the open-loop steps
   * @param failed sends that failed over the whole run
   * @param check OK, or what the members' check found
   */
  record Outcome(String config, double closedPerSec, double closedP50, double closedP99, double cpuPerMillion, List<Step> steps,
      long failed, String check) {
    static final String PREFIX = "FAILOVER-A\t";

    String toLine() {
      StringBuilder s = new StringBuilder();
      for (Step st : steps) {
        s.append(s.length() == 0 ? "" : ";").append(String.format(Locale.ROOT, "%.3f:%.3f:%.3f:%.3f:%.3f:%d",
            st.rate(), st.p50(), st.p99(), st.p999(), st.max(), st.failed()));
      }
      return PREFIX + String.join("\t", config, Double.toString(closedPerSec), Double.toString(closedP50), Double.toString(closedP99),
          Double.toString(cpuPerMillion), s.length() == 0 ? "-" : s.toString(), Long.toString(failed), check.replaceAll("[\\t\\n\\r]", " "));
    }

    static Outcome parse(String line) {
      String[] f = line.substring(PREFIX.length()).split("\t");
      List<Step> steps = new ArrayList<>();
      if (!f[5].equals("-")) {
        for (String st : f[5].split(";")) {
          String[] v = st.split(":");
          steps.add(new Step(Double.parseDouble(v[0]), Double.parseDouble(v[1]), Double.parseDouble(v[2]), Double.parseDouble(v[3]),
              Double.parseDouble(v[4]), Long.parseLong(v[5])));
        }
      }
      return new Outcome(f[0], Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4]),
          steps, Long.parseLong(f[6]), f[7]);
    }

    static Outcome error(String config, String why) {
      return new Outcome(config, Double.NaN, Double.NaN, Double.NaN, Double.NaN, List.of(), 0, "ERROR: " + why);
    }
  }

  /**
   * Runs the configuration: warm-up, the closed loop and each open-loop step, each on a fresh
   * cluster and room in this JVM (so a room that one phase broke cannot spoil the next; the JIT stays
   * warm).
   *
   * @param rates offered rates of the open-loop steps; a negative entry means that fraction (its
   *     absolute value) of this run's own closed-loop rate
   */
  Outcome run(List<Double> rates) throws Exception {
    java.util.Map<String, List<String>> problems = new java.util.LinkedHashMap<>();
    try (FailoverCluster c = open("warm-up")) {
      warmUp();
      finish("warm-up", problems);
    }
    double closedRate;
    double cpu;
    Histogram closed;
    try (FailoverCluster c = open("closed loop")) {
      long a0 = ph.acked.sum();
      long cpu0 = os.getProcessCpuTime();
      long c0 = System.nanoTime();
      closedLoop(o.closedSeconds());
      double secs = (System.nanoTime() - c0) / 1e9;
      long n = ph.acked.sum() - a0;
      closedRate = n / secs;
      cpu = n == 0 ? Double.NaN : (os.getProcessCpuTime() - cpu0) / 1e9 / n * 1e6;
      closed = recorder.getIntervalHistogram();
      log("%s closed loop (window %d sends): %,.0f acked sends/s, ack p50 %s p99 %s, cpu %.2f s per M sends", tag, o.window(), closedRate,
          Runner.ms(closed, 50), Runner.ms(closed, 99), cpu);
      finish("closed loop", problems);
    }
    List<Step> steps = new ArrayList<>();
    for (double r : rates) {
      double rate = r < 0 ? -r * closedRate : r;
      try (FailoverCluster c = open(String.format(Locale.ROOT, "step %,.0f/s", rate))) {
        steps.add(openLoop(rate, o.openSeconds()));
        finish(String.format(Locale.ROOT, "step %,.0f/s", rate), problems);
      }
    }
    StringBuilder check = new StringBuilder();
    problems.forEach((what, phases) -> check.append(check.length() == 0 ? "" : "; ").append(what).append(" (").append(String.join(", ", phases))
        .append(')'));
    return new Outcome(mode.label, closedRate, closed.getValueAtPercentile(50) / 1e3, closed.getValueAtPercentile(99) / 1e3, cpu, steps,
        failedTotal, check.length() == 0 ? "OK" : check.toString());
  }

  /** A fresh cluster, the room on n0, a sender joined on every node, 100 sends to open the links; counters reset. */
  private FailoverCluster open(String phase) throws Exception {
    long t0 = System.nanoTime();
    FailoverCluster cluster = FailoverCluster.start(mode, o.throughputTiming());
    try {
      cluster.node(0).createRoom(ROOM).get(30, TimeUnit.SECONDS);
      for (int i = 0; i < FailoverCluster.NODES; i++) {
        var node = cluster.node(i);
        ChatmeshSystem.awaitTrue(() -> node.room(ROOM).isPresent(), "room " + ROOM + " on " + FailoverCluster.name(i));
        handles[i] = node.room(ROOM).orElseThrow();
        users[i] = UserId.of("sender-" + i);
        members[i] = new MemberCheck();
        pubSeq[i] = 0;
        handles[i].join(users[i], members[i]::onEvent).get(30, TimeUnit.SECONDS);
      }
      ph = new Phase();
      for (int i = 0; i < 100; i++) {
        sendNext(System.nanoTime());
      }
      awaitAcks(30);
      recorder.getIntervalHistogram();
      log("%s %s: %s: fresh cluster up, room created on n0, 3 senders joined in %.1f s", tag, phase, mode.describe(),
          (System.nanoTime() - t0) / 1e9);
      return cluster;
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  /**
   * Waits for the phase's answers and checks its deliveries (details in the log); each kind of
   * problem found is added to {@code problems} with the phase's name.
   */
  private void finish(String phase, java.util.Map<String, List<String>> problems) {
    boolean answered = awaitAcks(30);
    String check = check();
    long unanswered = inFlight();
    if (!answered) {
      check = (check.equals("OK") ? "" : check + "; ") + unanswered + " sends unanswered after 30 s";
    }
    failedTotal += ph.failed.sum();
    log("%s %s check: %s (sent %,d, acked %,d, failed %,d%s)", tag, phase, check, ph.sent, ph.acked.sum(), ph.failed.sum(),
        firstFailure.get() == null ? "" : ", first failure so far: " + firstFailure.get());
    long missing = 0, dups = 0, ooo = 0;
    for (MemberCheck m : members) {
      missing += m.missing(ph);
      dups += m.duplicates();
      ooo += m.outOfOrder();
    }
    if (missing > 0) {
      problems.computeIfAbsent("ACKED SENDS MISSING at a member", k -> new ArrayList<>()).add(phase);
    }
    if (dups > 0) {
      problems.computeIfAbsent("DUPLICATES", k -> new ArrayList<>()).add(phase);
    }
    if (ooo > 0) {
      problems.computeIfAbsent("OUT OF SENDER ORDER", k -> new ArrayList<>()).add(phase);
    }
    if (ph.failed.sum() > 0) {
      problems.computeIfAbsent("sends failed", k -> new ArrayList<>()).add(phase + ": " + ph.failed.sum());
    }
    if (!answered) {
      problems.computeIfAbsent("sends unanswered after 30 s", k -> new ArrayList<>()).add(phase + ": " + unanswered);
    }
  }

  private void sendNext(long stamp) {
    int s = nextSender;
    nextSender = s + 1 == FailoverCluster.NODES ? 0 : s + 1;
    long seq = ++pubSeq[s];
    Phase p = ph;
    p.sent++;
    String text = Codec.encodeText(o.payload(), 0, s, seq, stamp);
    handles[s].send(users[s], text, s + "-" + seq).whenComplete((ok, e) -> {
      if (e == null) {
        if (p == ph) {
          recorder.recordValue(Math.min(MAX_LATENCY_NANOS, Math.max(0, System.nanoTime() - stamp)));
        }
        p.ack(s, seq);
      } else {
        p.failed.increment();
        firstFailure.compareAndSet(null, String.valueOf(e));
      }
    });
  }

  private long inFlight() {
    return ph.sent - ph.acked.sum() - ph.failed.sum();
  }

  private void closedLoop(double seconds) {
    long end = System.nanoTime() + (long) (seconds * 1e9);
    while (System.nanoTime() < end) {
      long free = o.window() - inFlight();
      if (free <= 0) {
        LockSupport.parkNanos(20_000);
        continue;
      }
      for (long i = Math.min(64, free); i > 0; i--) {
        sendNext(System.nanoTime());
      }
    }
  }

  /** Closed loop until the JIT is quiet, like {@link Runner}'s warm-up. */
  private void warmUp() {
    var jit = ManagementFactory.getCompilationMXBean();
    long start = System.nanoTime();
    long jitStart = jit.getTotalCompilationTime();
    closedLoop(o.warmupSeconds());
    long last = jit.getTotalCompilationTime();
    long lastRound = -1;
    int quiet = 0;
    while ((System.nanoTime() - start) / 1e9 < o.maxWarmupSeconds() && quiet < Runner.JIT_QUIET_ROUNDS) {
      closedLoop(1.0);
      long now = jit.getTotalCompilationTime();
      lastRound = now - last;
      last = now;
      quiet = lastRound < Runner.JIT_QUIET_MILLIS_PER_SECOND ? quiet + 1 : 0;
    }
    awaitAcks(30);
    log("%s warm-up: %.1f s closed loop, JIT compiled for %,d ms during it (%d ms in the last second); %,d sends acked, %,d failed", tag,
        (System.nanoTime() - start) / 1e9, last - jitStart, lastRound, ph.acked.sum(), ph.failed.sum());
  }

  private Step openLoop(double rate, double seconds) {
    recorder.getIntervalHistogram();
    long failed0 = ph.failed.sum();
    ThreadCpu threads = new ThreadCpu();
    threads.start();
    long n = Math.max(1, (long) (rate * seconds));
    double interval = 1e9 / rate;
    long start = System.nanoTime() + 1_000_000;
    long done = 0;
    while (done < n) {
      long now = System.nanoTime();
      while (done < n && start + (long) (done * interval) <= now) {
        sendNext(start + (long) (done * interval));
        done++;
      }
      if (done < n) {
        long wait = start + (long) (done * interval) - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
      }
    }
    boolean allAcked = awaitAcks(30);
    Histogram h = recorder.getIntervalHistogram();
    long stepFailed = ph.failed.sum() - failed0;
    log("%s step %,.0f sends/s for %.0f s: ack p50 %s p99 %s p99.9 %s max %s, failed %d%s; %s", tag, rate, seconds,
        Runner.ms(h, 50), Runner.ms(h, 99), Runner.ms(h, 99.9), Runner.ms(h, 100), stepFailed,
        allAcked ? "" : ", NOT ALL ANSWERED after 30 s: " + inFlight() + " in flight", threads.report());
    return new Step(rate, us(h, 50), us(h, 99), us(h, 99.9), us(h, 100), stepFailed);
  }

  private static double us(Histogram h, double pct) {
    return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(pct) / 1e3;
  }

  /** Waits until every send was answered; false after {@code seconds}. */
  private boolean awaitAcks(double seconds) {
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    while (inFlight() > 0) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      LockSupport.parkNanos(1_000_000);
    }
    return true;
  }

  /**
   * Every member got every acked send exactly once, in each sender's order. Waits for missing
   * deliveries up to 60 s, but no longer than 5 s without any delivery.
   */
  private String check() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    long lastProgress = System.nanoTime();
    long lastTotal = -1;
    while (System.nanoTime() < deadline && System.nanoTime() - lastProgress < TimeUnit.SECONDS.toNanos(5)) {
      long missing = 0;
      long total = 0;
      for (MemberCheck m : members) {
        missing += m.missing(ph);
        total += m.delivered.sum();
      }
      if (missing == 0) {
        break;
      }
      if (total != lastTotal) {
        lastTotal = total;
        lastProgress = System.nanoTime();
      }
      LockSupport.parkNanos(5_000_000);
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < members.length; i++) {
      MemberCheck m = members[i];
      long missing = m.missing(ph);
      if (missing > 0 || m.duplicates() > 0 || m.outOfOrder() > 0) {
        b.append(b.length() == 0 ? "" : "; ").append(String.format(Locale.ROOT,
            "member on n%d: %d of %d acked sends missing, %d duplicates, %d out of its sender's order", i, missing, ph.acked.sum(),
            m.duplicates(), m.outOfOrder()));
      }
    }
    long phaseFailed = ph.failed.sum();
    if (phaseFailed > 0) {
      long delivered = 0;
      for (MemberCheck m : members) {
        delivered = Math.max(delivered, m.notAcked(ph));
      }
      b.append(b.length() == 0 ? "" : "; ").append(phaseFailed).append(" sends failed (").append(delivered)
          .append(" of them delivered nonetheless, which a failure allows)");
    }
    return b.length() == 0 ? "OK" : b.toString();
  }

  private void log(String fmt, Object... args) {
    out.println("  " + String.format(Locale.ROOT, fmt, args));
    out.flush();
  }

  /** One member's deliveries: per sender, which seqs arrived, duplicates, and arrivals below the highest seen. Thread-safe. */
  static final class MemberCheck {
    final LongAdder delivered = new LongAdder();
    private final BitSet[] seen = new BitSet[FailoverCluster.NODES];
    private final long[] highest = new long[FailoverCluster.NODES];
    private final Codec.Delivery d = new Codec.Delivery();
    private long duplicates;
    private long outOfOrder;

    MemberCheck() {
      for (int i = 0; i < seen.length; i++) {
        seen[i] = new BitSet();
      }
    }

    synchronized void onEvent(io.chatmesh.RoomEvent event) {
      if (event instanceof ChatMessage m) {
        Codec.decodeText(m.text(), d);
        int q = (int) d.pubSeq;
        if (seen[d.publisher].get(q)) {
          duplicates++;
          return;
        }
        seen[d.publisher].set(q);
        if (q < highest[d.publisher]) {
          outOfOrder++;
        } else {
          highest[d.publisher] = q;
        }
        delivered.increment();
      }
    }

    synchronized long duplicates() {
      return duplicates;
    }

    synchronized long outOfOrder() {
      return outOfOrder;
    }

    /** Acked sends of the phase this member has not received. */
    synchronized long missing(Phase p) {
      long n = 0;
      for (int s = 0; s < seen.length; s++) {
        BitSet want = p.ackedCopy(s);
        want.andNot(seen[s]);
        n += want.cardinality();
      }
      return n;
    }

    /** Sends this member received that were not acked (they failed). */
    synchronized long notAcked(Phase p) {
      long n = 0;
      for (int s = 0; s < seen.length; s++) {
        BitSet got = (BitSet) seen[s].clone();
        got.andNot(p.ackedCopy(s));
        n += got.cardinality();
      }
      return n;
    }
  }
}
