package io.chatmesh.bench;

import io.chatmesh.ChatNode;
import io.chatmesh.ClusterListener;
import io.chatmesh.NodeId;
import io.chatmesh.history.InMemoryHistoryStore;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Scale of one cluster: N chatmesh nodes in one JVM over the in-memory transport (every node seeds
 * the first three), each N in a child JVM of its own with this JVM's flags. Per N it measures the
 * time until every node sees every other alive, the time from {@code createRoom} on the last node
 * until every node lists the room, then an idle window: process CPU, messages per second by type,
 * heap (after GC) and threads above the JVM's own before the nodes started, per node; false
 * suspicions (nodeDown events) over the whole run. Prints one markdown table.
 *
 * <pre>
 * java -Xmx2g -cp benchmarks/target/benchmarks.jar io.chatmesh.bench.ScaleBench \
 *     [--nodes 3,10,30,100,200] [--timeout-s 300] [--idle-s 10]
 * </pre>
 *
 * Not thread-safe; a command-line tool.
 */
public final class ScaleBench {
  private static final String PREFIX = "SCALE|";

  private ScaleBench() {}

  public static void main(String[] args) throws Exception {
    String nodes = "3,10,30,100,200";
    int timeoutS = 300;
    int idleS = 10;
    int roomsPerNode = 0;
    int child = 0;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--nodes" -> nodes = args[++i];
        case "--timeout-s" -> timeoutS = Integer.parseInt(args[++i]);
        case "--idle-s" -> idleS = Integer.parseInt(args[++i]);
        case "--rooms-per-node" -> roomsPerNode = Integer.parseInt(args[++i]);
        case "--child" -> child = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + " (options: --nodes 3,10,30 --timeout-s 300 --idle-s 10 --rooms-per-node 0)");
      }
    }
    if (child > 0) {
      System.out.println(PREFIX + runOne(child, timeoutS, idleS, roomsPerNode));
      System.out.flush();
      System.exit(0);
    }
    System.out.println("# chatmesh ScaleBench " + Instant.now());
    System.out.println("args: " + String.join(" ", args));
    System.out.println("cores: " + Runtime.getRuntime().availableProcessors() + ", JVM " + System.getProperty("java.runtime.version")
        + ", flags: " + ManagementFactory.getRuntimeMXBean().getInputArguments());
    List<String> rows = new ArrayList<>();
    for (String n : nodes.split(",")) {
      System.out.println("load average before N=" + n + ": " + loadAverage());
      rows.add(fork(Integer.parseInt(n.trim()), timeoutS, idleS, roomsPerNode));
    }
    System.out.println("load average after: " + loadAverage());
    System.out.println();
    System.out.println("| N | formed in | " + (roomsPerNode > 0 ? "N x " + roomsPerNode + " restored rooms listed everywhere in | " : "")
        + "new room visible everywhere in | heap / node | threads / node | idle CPU / node | heartbeats / s | all messages / s (idle) | messages during formation (per node) | false suspicions |");
    System.out.println("|---:|---:|" + (roomsPerNode > 0 ? "---:|" : "") + "---:|---:|---:|---:|---:|---:|---:|---:|");
    rows.forEach(System.out::println);
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (Exception e) {
      return "?";
    }
  }

  private static String fork(int n, int timeoutS, int idleS, int roomsPerNode) throws Exception {
    List<String> cmd = ChildJvm.command(ScaleBench.class);
    cmd.add("--child");
    cmd.add(Integer.toString(n));
    cmd.add("--timeout-s");
    cmd.add(Integer.toString(timeoutS));
    cmd.add("--idle-s");
    cmd.add(Integer.toString(idleS));
    cmd.add("--rooms-per-node");
    cmd.add(Integer.toString(roomsPerNode));
    long limitS = timeoutS + idleS + 60L;
    Process p = ChildJvm.start(cmd, limitS);
    long started = System.nanoTime();
    String row = null;
    long warnings = 0;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith(PREFIX)) {
          row = line.substring(PREFIX.length());
          System.out.println("  N=" + n + ": " + row);
        } else if (line.startsWith("  ")) {
          System.out.println(line);
        } else if (++warnings <= 5) {
          System.out.println("  [child log] " + (line.length() > 200 ? line.substring(0, 200) : line));
        }
      }
    }
    p.waitFor(limitS, TimeUnit.SECONDS);
    if (warnings > 5) {
      System.out.println("  [child log] ... " + (warnings - 5) + " more log lines");
    }
    return row != null ? row : String.format(Locale.ROOT, "| %d | no result: child JVM ended after %.0f s (exit %d%s) | | | | | | | | |",
        n, (System.nanoTime() - started) / 1e9, p.exitValue(), p.exitValue() == 137 ? ", killed by the watchdog" : "");
  }

  /** One N, in this JVM: returns a markdown table row. */
  private static String runOne(int n, int timeoutS, int idleS, int roomsPerNode) throws Exception {
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    gc();
    long heap0 = mem.getHeapMemoryUsage().getUsed();
    int threads0 = Thread.activeCount();

    InMemoryNetwork net = new InMemoryNetwork(1);
    Map<String, LongAdder> byType = new ConcurrentHashMap<>();
    net.filter((from, to, e) -> {
      byType.computeIfAbsent(e.message().getClass().getSimpleName(), k -> new LongAdder()).increment();
      return true;
    });
    AtomicLong downs = new AtomicLong();
    ClusterListener counting = new ClusterListener() {
      @Override
      public void onNodeUp(NodeId node) {}

      @Override
      public void onNodeDown(NodeId node) {
        downs.incrementAndGet();
      }
    };
    List<String> seeds = new ArrayList<>();
    for (int i = 0; i < Math.min(3, n); i++) {
      seeds.add("n" + i);
    }
    List<ChatNode> nodes = new ArrayList<>();
    long t0 = System.nanoTime();
    long deadline = t0 + TimeUnit.SECONDS.toNanos(timeoutS);
    for (int i = 0; i < n; i++) {
      ChatNode.Builder b = ChatNode.builder().nodeId("n" + i).transport(net.transport("n" + i)).seeds(seeds);
      if (roomsPerNode > 0) {
        // rooms this node administered before a restart: announced in its directory snapshots
        InMemoryHistoryStore store = InMemoryHistoryStore.create();
        for (int r = 0; r < roomsPerNode; r++) {
          store.saveRoom("r" + i + "-" + r, NodeId.of("n" + i), 1);
        }
        b.history(store);
      }
      ChatNode node = b.build();
      node.addClusterListener(counting);
      nodes.add(node.start());
    }
    System.out.println(String.format(Locale.ROOT, "  %d nodes started (sequentially) in %.2f s", n, (System.nanoTime() - t0) / 1e9));
    // formed: every node sees the N-1 others alive
    int minSeen = 0;
    while (System.nanoTime() < deadline) {
      minSeen = Integer.MAX_VALUE;
      for (ChatNode node : nodes) {
        minSeen = Math.min(minSeen, node.liveNodes().size());
      }
      if (minSeen == n - 1) {
        break;
      }
      Thread.sleep(10);
    }
    double formedS = (System.nanoTime() - t0) / 1e9;
    Map<String, Long> formation = counts(byType);
    long formationMsgs = formation.values().stream().mapToLong(Long::longValue).sum();
    if (minSeen != n - 1) {
      long full = nodes.stream().filter(x -> x.liveNodes().size() == n - 1).count();
      String row = String.format(Locale.ROOT,
          "| %d | not formed in %d s: %d of %d nodes saw all others, the worst saw %d |%s | | | | | | %d (%.0f) | %d |",
          n, timeoutS, full, n, minSeen, roomsPerNode > 0 ? " |" : "", formationMsgs, formationMsgs / (double) n, downs.get());
      System.out.println("  formation messages by type: " + formation);
      halt(nodes);
      return row;
    }
    System.out.println(String.format(Locale.ROOT, "  formed in %.2f s; messages by type during formation: %s", formedS, formation));
    String roomsCell = "";
    if (roomsPerNode > 0) {
      int want = n * roomsPerNode;
      int worst = 0;
      while (System.nanoTime() < deadline) {
        worst = Integer.MAX_VALUE;
        for (ChatNode node : nodes) {
          worst = Math.min(worst, node.rooms().size());
        }
        if (worst >= want) {
          break;
        }
        Thread.sleep(50); // rooms() sorts every room: polling 100 nodes costs
      }
      roomsCell = worst >= want
          ? String.format(Locale.ROOT, "%.2f s | ", (System.nanoTime() - t0) / 1e9)
          : "not in " + timeoutS + " s (worst node: " + worst + " of " + want + ") | ";
      System.out.println("  restored rooms: " + roomsCell);
    }

    // a new room, created on the last node, visible on every node
    ChatNode creator = nodes.get(n - 1);
    creator.ready().get(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
    long c0 = System.nanoTime();
    String roomCell;
    try {
      creator.createRoom("scale-room").get(60, TimeUnit.SECONDS);
      double createdS = (System.nanoTime() - c0) / 1e9;
      int seen = 0;
      long roomDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < roomDeadline) {
        seen = 0;
        for (ChatNode node : nodes) {
          if (node.room("scale-room").isPresent()) {
            seen++;
          }
        }
        if (seen == n) {
          break;
        }
        Thread.sleep(1);
      }
      double visibleS = (System.nanoTime() - c0) / 1e9;
      roomCell = seen == n
          ? String.format(Locale.ROOT, "%.0f ms (created in %.0f ms)", visibleS * 1000, createdS * 1000)
          : "on " + seen + " of " + n + " nodes after 60 s";
    } catch (Exception e) {
      roomCell = "creation failed: " + e;
    }

    // idle: settle, then measure
    Thread.sleep(2000);
    Map<String, Long> before = counts(byType);
    long cpu0 = os.getProcessCpuTime();
    long i0 = System.nanoTime();
    Thread.sleep(idleS * 1000L);
    double secs = (System.nanoTime() - i0) / 1e9;
    double cpuMsPerS = (os.getProcessCpuTime() - cpu0) / 1e6 / secs;
    Map<String, Long> after = counts(byType);
    Map<String, Double> rates = new TreeMap<>();
    after.forEach((k, v) -> rates.put(k, (v - before.getOrDefault(k, 0L)) / secs));
    double hbPerS = rates.getOrDefault("Heartbeat", 0.0);
    double allPerS = rates.values().stream().mapToDouble(Double::doubleValue).sum();
    System.out.println("  idle messages/s by type: " + fmt(rates));
    gc();
    long heap1 = mem.getHeapMemoryUsage().getUsed();
    int threads1 = Thread.activeCount();
    String row = String.format(Locale.ROOT,
        "| %d | %.2f s | %s%s | %.0f KiB | %.1f | %.2f ms/s | %.0f | %.0f | %d (%.0f) | %d |",
        n, formedS, roomsCell, roomCell, (heap1 - heap0) / 1024.0 / n, (threads1 - threads0) / (double) n, cpuMsPerS / n, hbPerS,
        allPerS, formationMsgs, formationMsgs / (double) n, downs.get());
    halt(nodes);
    return row;
  }

  private static String fmt(Map<String, Double> rates) {
    StringBuilder b = new StringBuilder();
    rates.forEach((k, v) -> {
      if (v > 0) {
        b.append(b.length() == 0 ? "" : ", ").append(k).append(' ').append(String.format(Locale.ROOT, "%.0f", v));
      }
    });
    return b.toString();
  }

  private static Map<String, Long> counts(Map<String, LongAdder> byType) {
    Map<String, Long> out = new TreeMap<>();
    byType.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** No orderly close: the child JVM exits right after its result (closing N nodes takes N x 2 s). */
  private static void halt(List<ChatNode> nodes) {
    System.out.flush();
  }

  private static void gc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
  }
}
