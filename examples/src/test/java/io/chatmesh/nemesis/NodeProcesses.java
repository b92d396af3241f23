package io.chatmesh.nemesis;

import io.chatmesh.examples.Demo;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;

/**
 * The demo's node PROCESSES ({@code Demo --node nX --history h2:DIR/nX --room none}) on 127.0.0.1
 * for the process nemesis: started on free ports, then SIGKILLed ({@code kill -9}), paused
 * ({@code kill -STOP} / {@code kill -CONT}) and restarted with the same id, ports and history
 * directory. Each node's output (every incarnation) is appended to {@code DIR/nX.log}. Other
 * node arguments may replace that history (e.g. {@code --leases etcd://...} and no {@code
 * --history}: in memory). Not thread-safe: the nemesis thread drives it.
 */
final class NodeProcesses implements AutoCloseable {
  private static final Pattern READY = Pattern.compile("READY (\\S+)=ws:(\\d+),grpc:(\\S+)");
  private static final Duration START = Duration.ofSeconds(90);
  private final Path dir;
  private final Map<String, Process> procs = new LinkedHashMap<>();
  /** Per node: {ws port, grpc port}, fixed by its first start. */
  private final Map<String, int[]> ports = new LinkedHashMap<>();
  private final Set<String> stopped = new TreeSet<>();
  /** Every node's arguments after its id, ports and {@code --room none}; null: the H2 history in DIR. */
  private final @Nullable List<String> nodeArgs;

  /** Nodes with an H2 history each, in {@code dir}. */
  NodeProcesses(Path dir) {
    this.dir = dir;
    this.nodeArgs = null;
  }

  /** Nodes with {@code nodeArgs} instead of the H2 history (no {@code --history}: in memory). */
  NodeProcesses(Path dir, List<String> nodeArgs) {
    this.dir = dir;
    this.nodeArgs = List.copyOf(nodeArgs);
  }

  /** Starts n1..nN, each greeting the ones before it, and waits for every READY. */
  void startAll(int n) throws IOException {
    List<String> peers = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      String id = "n" + i;
      launch(id, 0, 0, peers);
      peers.add("127.0.0.1:" + ports.get(id)[1]);
    }
  }

  /** Node ids, n1 first. */
  List<String> ids() {
    return List.copyOf(ports.keySet());
  }

  int wsPort(String id) {
    return ports.get(id)[0];
  }

  boolean alive(String id) {
    Process p = procs.get(id);
    return p != null && p.isAlive();
  }

  /** Alive and not paused: a client may use it. */
  boolean serving(String id) {
    return alive(id) && !stopped.contains(id);
  }

  boolean paused(String id) {
    return stopped.contains(id);
  }

  /** {@code kill -9}: the process dies at once, without closing anything. */
  void kill(String id) throws IOException, InterruptedException {
    Process p = procs.get(id);
    signal(p, "-KILL");
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      throw new IllegalStateException(id + " did not die on SIGKILL");
    }
    stopped.remove(id);
  }

  /**
   * {@code kill -TERM} (as Ctrl-C or a service manager's stop): the process runs its shutdown hook
   * and exits; waits (bounded) until it did.
   */
  void terminate(String id, Duration within) throws IOException, InterruptedException {
    Process p = procs.get(id);
    signal(p, "-TERM");
    if (!p.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(id + " did not exit within " + within + " of SIGTERM: " + tail(id));
    }
    stopped.remove(id);
  }

  /** {@code kill -STOP}: the process freezes (no thread runs, sockets stay open). */
  void pause(String id) throws IOException, InterruptedException {
    signal(procs.get(id), "-STOP");
    stopped.add(id);
  }

  /** {@code kill -CONT}: a paused process runs again with whatever it believed before. */
  void resume(String id) throws IOException, InterruptedException {
    signal(procs.get(id), "-CONT");
    stopped.remove(id);
  }

  /** Starts a killed node again with its id, ports and history, greeting every other node. */
  void restart(String id) throws IOException {
    int[] p = ports.get(id);
    List<String> others = new ArrayList<>();
    ports.forEach((other, q) -> {
      if (!other.equals(id)) {
        others.add("127.0.0.1:" + q[1]);
      }
    });
    launch(id, p[0], p[1], others);
  }

  private void launch(String id, int wsPort, int grpcPort, List<String> peers) throws IOException {
    String classpath = System.getProperty("demo.classpath");
    if (classpath == null || classpath.isBlank()) {
      throw new IllegalStateException("system property demo.classpath is not set (the examples pom sets it)");
    }
    List<String> cmd = new ArrayList<>(List.of(
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
        "-Xmx128m", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
        "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-cp", classpath, Demo.class.getName(),
        "--node", id, "--host", "127.0.0.1", "--grpc-port", String.valueOf(grpcPort), "--ws-port", String.valueOf(wsPort),
        "--failure-timeout-ms", "1500", "--room", "none"));
    cmd.addAll(nodeArgs != null ? nodeArgs : List.of("--history", "h2:" + dir.resolve("h2-" + id)));
    if (!peers.isEmpty()) {
      cmd.addAll(List.of("--peers", String.join(",", peers)));
    }
    Path log = log(id);
    long from = Files.exists(log) ? Files.size(log) : 0;
    Files.writeString(log, "=== start " + cmd.subList(cmd.indexOf("--node"), cmd.size()) + "\n", StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    procs.put(id, p);
    AtomicReference<Matcher> ready = new AtomicReference<>();
    Awaitility.await("READY of " + id).atMost(START).pollInterval(Duration.ofMillis(100)).until(() -> {
      if (!p.isAlive()) {
        throw new IllegalStateException(id + " exited before READY: " + tail(id));
      }
      String out = Files.readString(log, StandardCharsets.UTF_8);
      Matcher m = READY.matcher(out.substring((int) Math.min(from, out.length())));
      if (m.find()) {
        ready.set(m);
        return true;
      }
      return false;
    });
    String grpc = ready.get().group(3);
    ports.put(id, new int[] {Integer.parseInt(ready.get().group(2)), Integer.parseInt(grpc.substring(grpc.lastIndexOf(':') + 1))});
  }

  Path log(String id) {
    return dir.resolve(id + ".log");
  }

  /** The last lines of a node's output (for failure messages). */
  String tail(String id) {
    try {
      List<String> lines = Files.readAllLines(log(id), StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  private static void signal(Process p, String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", signal, String.valueOf(p.pid())).redirectErrorStream(true).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill " + signal + " " + p.pid() + " failed");
    }
  }

  @Override
  public void close() {
    for (Process p : procs.values()) {
      p.destroyForcibly(); // SIGKILL also ends a stopped process
    }
    for (Process p : procs.values()) {
      try {
        p.waitFor(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
