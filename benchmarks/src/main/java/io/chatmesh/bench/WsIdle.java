package io.chatmesh.bench;

import io.chatmesh.ChatNode;
import io.chatmesh.transport.grpc.GrpcTransport;
import io.chatmesh.websocket.WebSocketGateway;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Idle WebSocket connections: heap and RSS per connection on one node. This JVM runs one chatmesh
 * node (gRPC transport) with its gateway; a separate client JVM opens N connections (from several
 * 127.0.0.x source addresses), each says hello and then stays idle. Heap is measured after a full
 * GC before and after; RSS from /proc/self/status. Not thread-safe; a command-line tool.
 */
public final class WsIdle {
  private WsIdle() {}

  static void run(int n, PrintStream out) throws Exception {
    ChatNode node = ChatNode.builder().nodeId("idle").transport(GrpcTransport.builder("127.0.0.1:0").plaintext().build()).build().start();
    WebSocketGateway gw = WebSocketGateway.builder(node).port(0).idleTimeout(Duration.ofMinutes(30))
        // every idle client comes from 127.0.0.1: lift the per-address cap (32 by default)
        .limits(io.chatmesh.websocket.GatewayLimits.builder().maxConnectionsPerAddress(1_000_000).build())
        .build().start();
    try {
      long[] before = measure();
      out.printf(Locale.ROOT, "[ws-idle] before: heap used after GC %.1f MiB, RSS %.1f MiB, direct buffers %.1f MiB%n",
          before[0] / 1048576.0, before[1] / 1048576.0, before[2] / 1048576.0);
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-Xmx1g");
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add(WsIdle.class.getName());
      cmd.add(Integer.toString(gw.port()));
      cmd.add(Integer.toString(n));
      long t0 = System.nanoTime();
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line;
      int ready = -1;
      while ((line = r.readLine()) != null) {
        out.println("  [ws-idle clients] " + line);
        if (line.startsWith("READY ")) {
          ready = Integer.parseInt(line.substring(6).trim());
          break;
        }
      }
      if (ready < 0) {
        throw new IllegalStateException("client JVM ended before all connections were ready");
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      int open = gw.connectionCount();
      long[] after = measure();
      p.getOutputStream().close(); // tells the clients to exit
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
      out.printf(Locale.ROOT, "[ws-idle] %d connections open on the gateway (%d ready), set up in %.1f s%n", open, ready, secs);
      out.printf(Locale.ROOT, "[ws-idle] after: heap used after GC %.1f MiB, RSS %.1f MiB, direct buffers %.1f MiB%n",
          after[0] / 1048576.0, after[1] / 1048576.0, after[2] / 1048576.0);
      out.printf(Locale.ROOT, "[ws-idle] per idle connection: heap %.0f bytes, RSS %.0f bytes, direct %.0f bytes%n",
          (after[0] - before[0]) / (double) open, (after[1] - before[1]) / (double) open, (after[2] - before[2]) / (double) open);
      out.printf(Locale.ROOT, "[ws-idle] extrapolated heap at 20,000 idle connections: %.0f MiB (target < 512 MiB)%n",
          (before[0] + (after[0] - before[0]) / (double) open * 20_000) / 1048576.0);
    } finally {
      gw.close();
      node.close();
    }
  }

  /** {heap used after GC, RSS, direct buffer bytes}. */
  private static long[] measure() throws Exception {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    long rss = 0;
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith("VmRSS:")) {
        rss = Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    long direct = 0;
    for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (b.getName().equals("direct")) {
        direct = b.getMemoryUsed();
      }
    }
    return new long[] {heap, rss, direct};
  }

  /** The client JVM: connects N idle clients, prints READY n, exits when stdin closes. */
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int n = Integer.parseInt(args[1]);
    try (WsClients clients = new WsClients(2)) {
      Semaphore concurrency = new Semaphore(500);
      List<CompletableFuture<?>> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        concurrency.acquire();
        WsClients.Client c = clients.connect("127.0.0." + (2 + i % 8), port, json -> {});
        int id = i;
        all.add(c.handshake.orTimeout(60, TimeUnit.SECONDS)
            .thenCompose(x -> c.request("{\"type\":\"hello\",\"user\":\"idle-" + id + "\"}", "welcome"))
            .whenComplete((x, e) -> concurrency.release()));
        if (i % 5000 == 4999) {
          System.out.println("connected " + (i + 1));
        }
      }
      int ok = 0;
      for (CompletableFuture<?> f : all) {
        try {
          f.get(120, TimeUnit.SECONDS);
          ok++;
        } catch (Exception e) {
          if (ok == 0) {
            System.out.println("a connection failed: " + e);
          }
        }
      }
      System.out.println("READY " + ok);
      System.out.flush();
      while (System.in.read() >= 0) {
        // wait for the parent to close our stdin
      }
    }
    System.exit(0);
  }
}
