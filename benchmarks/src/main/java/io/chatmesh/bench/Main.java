package io.chatmesh.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Command line entry point. The parent process runs each system in its own child JVM started with
 * exactly the parent's JVM flags (same heap, same GC), one after the other, collects their results
 * and prints the table and the ratios. See BENCHMARKS.md for the command.
 *
 * <pre>
 * --quick                 one workload (R=10, M=3, 100 B), short phases; about 3 minutes (default)
 * --full                  the whole matrix of the issue, longer phases
 * --systems a,b,...       subset of: raw-grpc, chatmesh-grpc, chatmesh-inmem, jgroups-seq, hazelcast-rt
 * --workloads RxMxP,...   override workloads, e.g. 10x3x100,100x30x1024
 * --profile SYSTEM        record a JFR profile of that system's child JVM and summarise it
 * --in-process            run systems in this JVM (used by the smoke test)
 * --jfr-summary FILE      only summarise an existing JFR recording
 * </pre>
 */
public final class Main {
  static final List<String> ALL_SYSTEMS = List.of("raw-grpc", "chatmesh-grpc", "chatmesh-inmem", "jgroups-seq", "hazelcast-rt");

  static final List<String> JAVA_OPENS = List.of(
      "--add-modules", "java.se",
      "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens", "java.management/sun.management=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

  private Main() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
    String mode = "quick";
    List<String> systems = new ArrayList<>(ALL_SYSTEMS);
    List<Workload> workloads = null;
    String child = null;
    String profile = null;
    boolean inProcess = false;
    int rounds = -1;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> mode = "quick";
        case "--full" -> mode = "full";
        case "--smoke" -> mode = "smoke";
        case "--systems" -> systems = List.of(args[++i].split(","));
        case "--workloads" -> workloads = parseWorkloads(args[++i]);
        case "--child" -> child = args[++i];
        case "--mode" -> mode = args[++i];
        case "--profile" -> profile = args[++i];
        case "--in-process" -> inProcess = true;
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--ws-idle" -> {
          WsIdle.run(Integer.parseInt(args[++i]), System.out);
          System.exit(0);
          return;
        }
        case "--jfr-summary" -> {
          JfrSummary.print(Path.of(args[++i]), System.out);
          return;
        }
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (see Main's javadoc)");
      }
    }
    for (String s : systems) {
      if (!ALL_SYSTEMS.contains(s) && !s.equals("chatmesh-websocket")) {
        throw new IllegalArgumentException("unknown system " + s + "; known: " + ALL_SYSTEMS);
      }
    }
    if (workloads == null) {
      workloads = defaultWorkloads(mode);
    }
    Settings settings = settings(mode);
    if (child != null) {
      for (Result r : runSystem(child, workloads, settings, System.out)) {
        System.out.println(r.toLine());
      }
      System.out.flush();
      System.exit(0); // some peers leave non-daemon threads behind
      return;
    }
    PrintStream out = System.out;
    printMachine(out, args);
    if (rounds < 1) {
      rounds = 1;
    }
    List<Result> results = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      // alternate the order (A B C, then C B A) so slow drift in machine load does not favour one system
      List<String> order = new ArrayList<>(systems);
      if (round % 2 == 1) {
        java.util.Collections.reverse(order);
      }
      out.println("### round " + (round + 1) + " of " + rounds + ": " + order);
      for (String s : order) {
        if (inProcess) {
          results.addAll(runSystem(s, workloads, settings, out));
        } else {
          results.addAll(fork(s, mode, workloads, round == 0 && s.equals(profile), out));
        }
      }
    }
    if (rounds > 1) {
      out.println();
      out.println("## Every run (" + rounds + " rounds)");
      printRows(results, out);
      results = bestOf(results);
      out.println();
      out.println("Below: per system and workload, the best of the " + rounds + " rounds (highest saturation rate;"
          + " closed-loop max is the highest seen; the check column shows any failure from any round).");
    }
    printTable(results, out);
    if (!inProcess) {
      System.exit(0);
    }
  }

  static List<Workload> parseWorkloads(String spec) {
    List<Workload> l = new ArrayList<>();
    for (String p : spec.split(",")) {
      String[] f = p.split("x");
      if (f.length != 3) {
        throw new IllegalArgumentException("workload must be ROOMSxSUBSxPAYLOAD, e.g. 10x3x100: " + p);
      }
      l.add(new Workload(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2])));
    }
    return l;
  }

  static List<Workload> defaultWorkloads(String mode) {
    return switch (mode) {
      case "quick" -> List.of(new Workload(10, 3, 100));
      case "smoke" -> List.of(new Workload(2, 3, 100));
      case "websocket" -> List.of(new Workload(1, 2000, 100), new Workload(10, 200, 100));
      default -> List.of(
          new Workload(1, 3, 100), new Workload(10, 3, 100), new Workload(100, 3, 100),
          new Workload(1, 30, 100), new Workload(10, 30, 100), new Workload(100, 30, 100),
          new Workload(10, 3, 1024), new Workload(10, 30, 1024));
    };
  }

  static Settings settings(String mode) {
    return switch (mode) {
      case "quick" -> Settings.quick();
      case "full" -> Settings.full();
      case "smoke" -> Settings.smoke();
      case "websocket" -> Settings.quick();
      default -> throw new IllegalArgumentException("unknown mode " + mode);
    };
  }

  static BenchSystem create(String name) {
    return switch (name) {
      case "raw-grpc" -> new RawGrpcSystem();
      case "chatmesh-grpc" -> new ChatmeshSystem(true);
      case "chatmesh-inmem" -> new ChatmeshSystem(false);
      case "jgroups-seq" -> new JGroupsSystem();
      case "hazelcast-rt" -> new HazelcastSystem();
      case "chatmesh-websocket" -> new WebSocketSystem();
      default -> throw new IllegalArgumentException("unknown system " + name);
    };
  }

  /** Runs every workload on one system in this JVM; a failure becomes an ERROR row, not an abort. */
  public static List<Result> runSystem(String name, List<Workload> workloads, Settings settings, PrintStream out) {
    List<Result> results = new ArrayList<>();
    for (Workload w : workloads) {
      BenchSystem sys = create(name);
      try {
        results.add(new Runner(sys, w, settings, out).run());
      } catch (Throwable e) {
        out.println("[" + name + " " + w + "] ERROR: " + e);
        e.printStackTrace(out);
        try {
          sys.close();
        } catch (Throwable ignored) {
          // best effort
        }
        String msg = String.valueOf(e.getMessage()).replaceAll("[\\t\\n\\r]", " ");
        results.add(new Result(name, w, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
            "ERROR: " + e.getClass().getSimpleName() + ": " + (msg.length() > 120 ? msg.substring(0, 120) : msg)));
      }
    }
    return results;
  }

  private static List<Result> fork(String system, String mode, List<Workload> workloads, boolean profile, PrintStream out) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!a.startsWith("-XX:StartFlightRecording") && !a.startsWith("-agent") && !a.startsWith("-javaagent")) {
        cmd.add(a);
      }
    }
    // What Hazelcast asks for to use its fast paths; given to every child alike, so flags stay equal.
    cmd.addAll(JAVA_OPENS);
    Path jfr = null;
    if (profile) {
      jfr = Path.of("benchmarks-" + system + ".jfr").toAbsolutePath();
      cmd.add("-XX:StartFlightRecording=filename=" + jfr + ",settings=profile,dumponexit=true");
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.add("--child");
    cmd.add(system);
    cmd.add("--mode");
    cmd.add(mode);
    cmd.add("--workloads");
    StringBuilder ws = new StringBuilder();
    for (Workload w : workloads) {
      ws.append(ws.length() == 0 ? "" : ",").append(w.rooms()).append('x').append(w.subscribers()).append('x').append(w.payloadBytes());
    }
    cmd.add(ws.toString());
    out.println("=== " + system + " (child JVM: " + String.join(" ", cmd.subList(0, cmd.indexOf("-cp"))) + ")");
    out.flush();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    List<Result> results = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith(Result.PREFIX)) {
          results.add(Result.parse(line));
        } else {
          out.println("  " + line);
          out.flush();
        }
      }
    }
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    if (results.size() < workloads.size()) {
      for (Workload w : workloads.subList(results.size(), workloads.size())) {
        results.add(new Result(system, w, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
            "ERROR: child exited " + p.exitValue() + " without a result"));
      }
    }
    if (jfr != null && Files.exists(jfr)) {
      out.println("=== JFR profile of " + system + ": " + jfr);
      JfrSummary.print(jfr, out);
    }
    return results;
  }

  static void printMachine(PrintStream out, String[] args) {
    out.println("# chatmesh benchmarks " + Instant.now());
    out.println("args: " + String.join(" ", args));
    out.println("cores: " + Runtime.getRuntime().availableProcessors()
        + ", JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
        + ", flags: " + ManagementFactory.getRuntimeMXBean().getInputArguments()
        + ", max heap: " + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB");
    out.println("os: " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    try {
      out.println("load average (1/5/15 min, runnable/total, last pid): " + Files.readString(Path.of("/proc/loadavg")).trim());
      for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (l.startsWith("model name")) {
          out.println("cpu: " + l.substring(l.indexOf(':') + 1).trim());
          break;
        }
      }
    } catch (Exception e) {
      out.println("load average: unknown (" + e + ")");
    }
    out.flush();
  }

  static List<Result> bestOf(List<Result> all) {
    Map<String, List<Result>> groups = new LinkedHashMap<>();
    for (Result r : all) {
      groups.computeIfAbsent(r.system() + "|" + r.workload(), k -> new ArrayList<>()).add(r);
    }
    List<Result> best = new ArrayList<>();
    for (List<Result> g : groups.values()) {
      Result b = g.get(0);
      Result bc = g.get(0);
      String check = "OK";
      for (Result r : g) {
        if (nz(r.saturationDeliveredPerSec()) > nz(b.saturationDeliveredPerSec())
            || (nz(r.saturationDeliveredPerSec()) == nz(b.saturationDeliveredPerSec()) && nz(r.closedDeliveredPerSec()) > nz(b.closedDeliveredPerSec()))) {
          b = r;
        }
        if (nz(r.closedDeliveredPerSec()) > nz(bc.closedDeliveredPerSec())) {
          bc = r;
        }
        if (!r.check().equals("OK") && check.equals("OK")) {
          check = r.check();
        }
      }
      best.add(new Result(b.system(), b.workload(), bc.closedDeliveredPerSec(), bc.closedCpuSecondsPerMillion(),
          b.saturationDeliveredPerSec(), b.p50Micros(), b.p99Micros(), b.p999Micros(), b.cpuSecondsPerMillion(), check));
    }
    return best;
  }

  private static double nz(double v) {
    return Double.isNaN(v) ? -1 : v;
  }

  static void printTable(List<Result> results, PrintStream out) {
    out.println();
    out.println("## Results (delivered msgs/s = publishes x subscribers; latency at 50 % of saturation, coordinated-omission corrected)");
    printRows(results, out);
    printRatios(results, out);
  }

  static void printRows(List<Result> results, PrintStream out) {
    out.println();
    out.println("| system | workload | closed-loop max delivered/s | CPU s / M deliv. (closed loop) | saturation delivered/s (p99<50ms, no loss) | p50 | p99 | p99.9 | CPU s / M deliv. (half sat.) | lost/dup/reorder check |");
    out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for (Result r : results) {
      out.println(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |",
          r.system(), r.workload(), num(r.closedDeliveredPerSec()), cpu(r.closedCpuSecondsPerMillion()), num(r.saturationDeliveredPerSec()),
          lat(r.p50Micros()), lat(r.p99Micros()), lat(r.p999Micros()),
          cpu(r.cpuSecondsPerMillion()),
          r.check()));
    }
  }

  static void printRatios(List<Result> results, PrintStream out) {
    out.println();
    out.println("## Ratios (chatmesh-grpc / peer; closed-loop max / saturation)  targets: >=3x jgroups-seq, >=5x hazelcast-rt, >=0.5x raw-grpc, p99 < 2 ms at half saturation");
    out.println();
    Map<Workload, Map<String, Result>> byWorkload = new LinkedHashMap<>();
    for (Result r : results) {
      byWorkload.computeIfAbsent(r.workload(), k -> new LinkedHashMap<>()).put(r.system(), r);
    }
    out.println("| workload | vs jgroups-seq | vs hazelcast-rt | vs raw-grpc | chatmesh-inmem vs raw-grpc | chatmesh-grpc p99 @ half sat |");
    out.println("|---|---|---|---|---|---|");
    for (var e : byWorkload.entrySet()) {
      Map<String, Result> m = e.getValue();
      Result cm = m.get("chatmesh-grpc");
      Result im = m.get("chatmesh-inmem");
      out.println(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |", e.getKey(),
          ratio(cm, m.get("jgroups-seq")), ratio(cm, m.get("hazelcast-rt")), ratio(cm, m.get("raw-grpc")),
          ratio(im, m.get("raw-grpc")), cm == null ? "-" : lat(cm.p99Micros())));
    }
    out.flush();
  }

  private static String ratio(Result a, Result b) {
    if (a == null || b == null) {
      return "-";
    }
    return div(a.closedDeliveredPerSec(), b.closedDeliveredPerSec()) + " / " + div(a.saturationDeliveredPerSec(), b.saturationDeliveredPerSec());
  }

  private static String div(double a, double b) {
    if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
      return "-";
    }
    return String.format(Locale.ROOT, "%.2fx", a / b);
  }

  private static String cpu(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%,.0f", v);
  }

  private static String lat(double micros) {
    if (Double.isNaN(micros)) {
      return "-";
    }
    return micros >= 1000 ? String.format(Locale.ROOT, "%.2f ms", micros / 1000) : String.format(Locale.ROOT, "%.0f µs", micros);
  }

}
