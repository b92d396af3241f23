package io.chatmesh.examples;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cluster of demo node PROCESSES ({@code Demo --node nX}) on 127.0.0.1 that a test can kill
 * (SIGKILL) and restart on the same ports. Node n1 is started first; each later node greets the
 * ones before it. Not thread-safe: one test thread drives it.
 */
final class DemoCluster implements AutoCloseable {
  private static final Pattern READY = Pattern.compile("READY (\\S+)=ws:(\\d+),grpc:(\\S+)");
  private final Map<String, Proc> procs = new LinkedHashMap<>();
  private final Map<String, List<String>> args = new LinkedHashMap<>();
  private final Map<String, int[]> ports = new LinkedHashMap<>();

  /** One running process and its output. */
  static final class Proc {
    final Process process;
    final List<String> output = new CopyOnWriteArrayList<>();
    final CompletableFuture<Matcher> ready = new CompletableFuture<>();

    Proc(Process p) {
      this.process = p;
      Thread t = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            output.add(line);
            Matcher m = READY.matcher(line);
            if (m.find()) {
              ready.complete(m);
            }
          }
        } catch (Exception e) {
          // the process ended
        }
        ready.completeExceptionally(new AssertionError("process ended before READY: " + output));
      }, "demo-output");
      t.setDaemon(true);
      t.start();
    }
  }

  /** Starts nodes n1..nN (each creating its default room) and waits until each printed READY. */
  static DemoCluster start(int n, String... extraArgs) throws Exception {
    DemoCluster c = new DemoCluster();
    try {
      List<String> peers = new ArrayList<>();
      for (int i = 1; i <= n; i++) {
        String id = "n" + i;
        List<String> a = new ArrayList<>(List.of(extraArgs));
        if (!peers.isEmpty()) {
          a.addAll(List.of("--peers", String.join(",", peers)));
        }
        c.args.put(id, a);
        Proc p = c.launch(id, 0, 0);
        Matcher m = p.ready.get(60, TimeUnit.SECONDS);
        String grpc = m.group(3);
        c.ports.put(id, new int[] {Integer.parseInt(m.group(2)), Integer.parseInt(grpc.substring(grpc.lastIndexOf(':') + 1))});
        peers.add(grpc);
      }
      return c;
    } catch (Exception | Error e) {
      c.close();
      throw e;
    }
  }

  private Proc launch(String id, int wsPort, int grpcPort) throws Exception {
    String classpath = System.getProperty("demo.classpath");
    if (classpath == null || classpath.isBlank()) {
      throw new IllegalStateException("system property demo.classpath is not set (the examples pom sets it)");
    }
    List<String> cmd = new ArrayList<>(List.of(
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
        "-Xmx128m", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp", classpath, Demo.class.getName(),
        "--node", id, "--host", "127.0.0.1", "--grpc-port", String.valueOf(grpcPort), "--ws-port", String.valueOf(wsPort),
        "--failure-timeout-ms", "1500"));
    cmd.addAll(args.get(id));
    Proc p = new Proc(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    procs.put(id, p);
    return p;
  }

  /** {@code ws://127.0.0.1:PORT/ws} of each node, n1 first. */
  List<String> webSocketUrls() {
    return ports.values().stream().map(p -> "ws://127.0.0.1:" + p[0] + "/ws").toList();
  }

  /** {@code http://127.0.0.1:PORT/} of a node: its chat page. */
  String pageUrl(String id) {
    return "http://127.0.0.1:" + ports.get(id)[0] + "/";
  }

  /** SIGKILLs a node's process and waits until it is gone. */
  void kill(String id) throws InterruptedException {
    Proc p = procs.get(id);
    p.process.destroyForcibly();
    if (!p.process.waitFor(20, TimeUnit.SECONDS)) {
      throw new IllegalStateException(id + " did not die");
    }
  }

  /**
   * Starts a killed node again on its old ports, greeting every other node (as an operator would:
   * the first node had no peers to greet when the cluster started), and waits for READY.
   */
  void restart(String id) throws Exception {
    int[] p = ports.get(id);
    List<String> others = new ArrayList<>();
    ports.forEach((other, q) -> {
      if (!other.equals(id)) {
        others.add("127.0.0.1:" + q[1]);
      }
    });
    args.put(id, List.of("--peers", String.join(",", others)));
    launch(id, p[0], p[1]).ready.get(60, TimeUnit.SECONDS);
  }

  /** Output of a node's current process (for failure messages). */
  List<String> output(String id) {
    return procs.get(id).output;
  }

  @Override
  public void close() {
    for (Proc p : procs.values()) {
      p.process.destroyForcibly();
    }
  }
}
