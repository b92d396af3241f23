package io.chatmesh.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * What failover costs and how long it takes (issue 13), 3 chatmesh nodes over gRPC on 127.0.0.1.
 *
 * <p><b>Part (a)</b>, throughput and ack latency of one room with senders on all three nodes, for
 * each configuration in {@code --configs} (default: no failover, replication factor 1, replication
 * factor 3 with acks REPLICATED, and with acks ADMIN_ONLY), each in a child JVM of its own with this
 * JVM's flags, one after the other ({@link FailoverThroughput}). The open-loop steps run at the same
 * offered rates for every configuration: {@code --step-rates} and half of the first
 * configuration's closed-loop rate.
 *
 * <p><b>Part (b)</b>, failover time over {@code --rounds} crashes of a room's admin, a fresh cluster
 * per round, in this JVM ({@link FailoverTime}). Exits with status 1 when a round or a child failed.
 *
 * <pre>
 * java -Xmx1g -cp benchmarks/target/benchmarks.jar io.chatmesh.bench.FailoverBench [--part ab|a|b]
 *     [--configs none,rf1,rf3-replicated,rf3-admin-only] [--rounds 20] [--keep-going] ... (see {@link Options#USAGE})
 * </pre>
 *
 * Not thread-safe; a command-line tool.
 */
public final class FailoverBench {
  private FailoverBench() {}

  /**
   * The command line.
   *
   * @param part "a", "b" or "ab"
   * @param configs part (a)'s configurations, in run order
   * @param payload characters per message
   * @param window part (a)'s closed-loop sends in flight
   * @param warmupSeconds part (a)'s minimum warm-up
   * @param maxWarmupSeconds part (a)'s warm-up goes on while the JIT compiles, up to this
   * @param closedSeconds part (a)'s measured closed loop
   * @param openSeconds each open-loop step of part (a)
   * @param stepRates part (a)'s open-loop rates before the one at half the first configuration's closed loop, sends per second
   * @param rounds part (b)'s crashes
   * @param sendRate part (b): sends per second per member
   * @param steadyMillis part (b): steady sending before the crash
   * @param afterMillis part (b): sending after the first ack by the new admin
   * @param waitSeconds part (b): timeout of every wait
   * @param heartbeatMillis part (b)'s heartbeat interval
   * @param failureTimeoutMillis part (b)'s failure timeout
   * @param leaseMillis part (b)'s lease duration
   * @param renewMillis part (b)'s renew interval
   * @param driftMillis part (b)'s clock drift bound
   * @param repeat part (a) runs every configuration this many times, in alternating order
   * @param keepGoing part (b) runs every round even after one failed
   * @param inProcess part (a) runs in this JVM instead of child JVMs
   * @param childA internal: run this configuration of part (a) and print its result line
   * @param rates internal: the child's open-loop rates (negative: that fraction of its own closed loop)
   */
  record Options(String part, List<FailoverCluster.Mode> configs, int payload, int window, double warmupSeconds, double maxWarmupSeconds,
      double closedSeconds, double openSeconds, List<Double> stepRates, int rounds, double sendRate, long steadyMillis, long afterMillis,
      int waitSeconds, long heartbeatMillis, long failureTimeoutMillis, long leaseMillis, long renewMillis, long driftMillis,
      int repeat, boolean keepGoing, boolean inProcess, @Nullable String childA, List<Double> rates) {

    static final String USAGE = "options: --part ab|a|b, --configs none,rf1,rf3-replicated,rf3-admin-only, --payload 100, --window 3000,"
        + " --warmup-s 10, --max-warmup-s 45, --closed-s 5, --open-s 5, --step-rates 1000,10000, --repeat 2, --rounds 20, --send-rate 100,"
        + " --steady-ms 1500, --after-ms 500, --wait-s 30, --heartbeat-ms 250, --failure-timeout-ms 1000, --lease-ms 2000,"
        + " --renew-ms 500, --drift-ms 200, --keep-going, --in-process";

    static Options parse(String... args) {
      String part = "ab";
      List<FailoverCluster.Mode> configs = List.of(FailoverCluster.Mode.values());
      int payload = 100, window = 3000, rounds = 20, waitS = 30, repeat = 2;
      double warmup = 10, maxWarmup = 45, closed = 5, open = 5, sendRate = 100;
      List<Double> stepRates = List.of(1000.0, 10000.0);
      long steady = 1500, after = 500, hb = 250, ft = 1000, lease = 2000, renew = 500, drift = 200;
      boolean keepGoing = false, inProcess = false;
      String childA = null;
      List<Double> rates = List.of();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--keep-going")) {
          keepGoing = true;
          continue;
        } else if (a.equals("--in-process")) {
          inProcess = true;
          continue;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("option " + a + " needs a value (" + USAGE + ")");
        }
        String v = args[++i];
        try {
          switch (a) {
            case "--part" -> part = v;
            case "--configs" -> configs = Arrays.stream(v.split(",")).map(String::trim).map(FailoverCluster.Mode::parse).toList();
            case "--payload" -> payload = Integer.parseInt(v);
            case "--window" -> window = Integer.parseInt(v);
            case "--warmup-s" -> warmup = Double.parseDouble(v);
            case "--max-warmup-s" -> maxWarmup = Double.parseDouble(v);
            case "--closed-s" -> closed = Double.parseDouble(v);
            case "--open-s" -> open = Double.parseDouble(v);
            case "--step-rates" -> stepRates = Arrays.stream(v.split(",")).map(Double::parseDouble).toList();
            case "--rounds" -> rounds = Integer.parseInt(v);
            case "--repeat" -> repeat = Integer.parseInt(v);
            case "--send-rate" -> sendRate = Double.parseDouble(v);
            case "--steady-ms" -> steady = Long.parseLong(v);
            case "--after-ms" -> after = Long.parseLong(v);
            case "--wait-s" -> waitS = Integer.parseInt(v);
            case "--heartbeat-ms" -> hb = Long.parseLong(v);
            case "--failure-timeout-ms" -> ft = Long.parseLong(v);
            case "--lease-ms" -> lease = Long.parseLong(v);
            case "--renew-ms" -> renew = Long.parseLong(v);
            case "--drift-ms" -> drift = Long.parseLong(v);
            case "--child-a" -> childA = v;
            case "--rates" -> rates = Arrays.stream(v.split(",")).map(Double::parseDouble).toList();
            default -> throw new IllegalArgumentException("unknown option " + a + " (" + USAGE + ")");
          }
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("option " + a + " needs a number, got '" + v + "'");
        }
      }
      if (!List.of("a", "b", "ab").contains(part)) {
        throw new IllegalArgumentException("--part must be a, b or ab, got " + part);
      }
      if (configs.isEmpty() || payload < Codec.HEADER_CHARS || window < 1 || rounds < 1 || repeat < 1 || sendRate <= 0 || stepRates.stream().anyMatch(r -> r <= 0) || waitS < 1) {
        throw new IllegalArgumentException("need at least one config, --payload >= " + Codec.HEADER_CHARS
            + ", and positive --window, --rounds, --repeat, --send-rate, --step-rates, --wait-s");
      }
      return new Options(part, configs, payload, window, warmup, maxWarmup, closed, open, stepRates, rounds, sendRate, steady, after, waitS, hb, ft,
          lease, renew, drift, repeat, keepGoing, inProcess, childA, rates);
    }

    /** Part (a): library defaults except a 30 s request timeout, as the other chatmesh benchmarks use. */
    FailoverCluster.Timing throughputTiming() {
      return new FailoverCluster.Timing(null, null, Duration.ofSeconds(30), null, null, null);
    }

    /** Part (b): short failure detection and lease timing; request timeout the library default. */
    FailoverCluster.Timing failoverTiming() {
      return new FailoverCluster.Timing(Duration.ofMillis(heartbeatMillis), Duration.ofMillis(failureTimeoutMillis), null,
          Duration.ofMillis(leaseMillis), Duration.ofMillis(renewMillis), Duration.ofMillis(driftMillis));
    }
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
    Options o = Options.parse(args);
    PrintStream out = System.out;
    if (o.childA() != null) {
      FailoverThroughput.Outcome r;
      try {
        r = new FailoverThroughput(FailoverCluster.Mode.parse(o.childA()), o, out).run(o.rates());
      } catch (Exception | AssertionError e) {
        out.println("  ERROR: " + e);
        e.printStackTrace(out);
        r = FailoverThroughput.Outcome.error(o.childA(), String.valueOf(e));
      }
      out.println(r.toLine());
      out.flush();
      System.exit(0); // gRPC and lease threads may linger
      return;
    }
    Main.printMachine(out, args);
    out.println("FailoverBench: " + Runtime.getRuntime().availableProcessors() + " cores; " + o);
    boolean failed = false;
    List<FailoverThroughput.Outcome> a = new ArrayList<>();
    if (o.part().contains("a")) {
      a = partA(o, args, out);
      failed |= a.stream().anyMatch(r -> !r.check().equals("OK"));
    }
    List<FailoverTime.Round> b = List.of();
    if (o.part().contains("b")) {
      out.println();
      out.println("=== part (b): failover time, " + o.rounds() + " rounds, a fresh cluster per round; " + o.failoverTiming().describe());
      b = new FailoverTime(o, out).run();
      failed |= b.size() < o.rounds() || b.stream().anyMatch(r -> !r.ok());
    }
    out.println("load average after: " + ScaleBench.loadAverage());
    if (!a.isEmpty()) {
      FailoverReport.printA(a, o, out);
    }
    if (o.part().contains("b")) {
      FailoverReport.printB(b, o, out);
    }
    if (failed) {
      out.println();
      out.println("FAILOVERBENCH FAILED: a part (a) check is not OK or a child JVM gave no result, or a part (b) round failed (see the"
          + " check column, the ERROR lines and the FAILED lines above).");
    }
    out.flush();
    System.exit(failed ? 1 : 0);
  }

  private static List<FailoverThroughput.Outcome> partA(Options o, String[] args, PrintStream out) throws Exception {
    List<FailoverThroughput.Outcome> results = new ArrayList<>();
    double halfRate = -0.5; // the first configuration measures at half its own closed-loop rate
    List<FailoverCluster.Mode> order = new ArrayList<>();
    for (int rep = 0; rep < o.repeat(); rep++) {
      // alternate the order (A B C D, then D C B A) so slow drift in machine load does not favour one configuration
      List<FailoverCluster.Mode> once = new ArrayList<>(o.configs());
      if (rep % 2 == 1) {
        java.util.Collections.reverse(once);
      }
      order.addAll(once);
    }
    for (FailoverCluster.Mode m : order) {
      List<Double> rates = new ArrayList<>(o.stepRates());
      rates.add(halfRate);
      out.println();
      out.println("=== part (a): " + m.label + " (" + m.describe() + "); " + o.throughputTiming().describe());
      out.flush();
      FailoverThroughput.Outcome r;
      if (o.inProcess()) {
        try {
          r = new FailoverThroughput(m, o, out).run(rates);
        } catch (Exception | AssertionError e) {
          out.println("  ERROR: " + e);
          r = FailoverThroughput.Outcome.error(m.label, String.valueOf(e));
        }
      } else {
        r = fork(m, rates, o, args, out);
      }
      results.add(r);
      if (results.size() == 1 && !r.steps().isEmpty()) {
        halfRate = r.steps().get(r.steps().size() - 1).rate();
      }
    }
    return results;
  }

  private static FailoverThroughput.Outcome fork(FailoverCluster.Mode m, List<Double> rates, Options o, String[] args, PrintStream out)
      throws Exception {
    List<String> cmd = ChildJvm.command(FailoverBench.class);
    cmd.addAll(List.of(args));
    cmd.add("--child-a");
    cmd.add(m.label);
    cmd.add("--rates");
    cmd.add(String.join(",", rates.stream().map(d -> Double.toString(d)).toList()));
    long limitS = (long) (o.maxWarmupSeconds() + o.closedSeconds() + o.openSeconds() * rates.size()) + 300;
    Process p = ChildJvm.start(cmd, limitS);
    FailoverThroughput.Outcome result = null;
    int logLines = 0;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith(FailoverThroughput.Outcome.PREFIX)) {
          result = FailoverThroughput.Outcome.parse(line);
        } else if (line.startsWith("  ") || ++logLines <= 30) {
          out.println(line.startsWith("  ") ? line : "  [child log] " + line);
          out.flush();
        }
      }
    }
    p.waitFor(60, TimeUnit.SECONDS);
    if (logLines > 30) {
      out.println("  [child log] ... " + (logLines - 30) + " more log lines");
    }
    if (result == null) {
      String why = "child JVM exited " + (p.isAlive() ? "(still running)" : Integer.toString(p.exitValue())) + " without a result"
          + " (limit " + limitS + " s)";
      out.println("  ERROR: " + why);
      return FailoverThroughput.Outcome.error(m.label, why);
    }
    return result;
  }

  static String fmt(String pattern, Object... args) {
    return String.format(Locale.ROOT, pattern, args);
  }
}
