package io.chatmesh.bench;

import io.chatmesh.ChatNode;
import io.chatmesh.Room;
import io.chatmesh.UserId;
import io.chatmesh.transport.grpc.GrpcTransport;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.management.ObjectName;

/**
 * Measures what chatmesh retains per message: 3 nodes (in-memory transport, or gRPC with {@code
 * --grpc}) in this JVM, one room administered by node 0 with a member on node 1 that publishes,
 * payloads and client message ids shaped like the benchmark's. Takes a live-object class histogram
 * (the {@code GC.class_histogram} diagnostic command, which runs a full GC first) after the room is
 * set up and again after {@code N} messages, and prints the difference per class divided by {@code
 * N}. With {@code N} equal to the retention windows (10,000 by default) that is the steady-state
 * cost of one retained message; a second fill of {@code N} more checks that the windows are full
 * (the difference to the first fill should be about zero).
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.chatmesh.bench.RetainedSize [--grpc]
 * [--messages N] [--payload BYTES]}. Not a test; prints only.
 */
public final class RetainedSize {
  private RetainedSize() {}

  public static void main(String[] args) throws Exception {
    boolean grpc = false;
    int n = 10_000;
    int payload = 100;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--grpc" -> grpc = true;
        case "--messages" -> n = Integer.parseInt(args[++i]);
        case "--payload" -> payload = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    InMemoryNetwork network = grpc ? null : new InMemoryNetwork();
    ChatNode[] nodes = new ChatNode[3];
    for (int i = 0; i < nodes.length; i++) {
      ChatNode.Builder b = ChatNode.builder().nodeId("n" + i).requestTimeout(Duration.ofSeconds(30));
      b.transport(grpc ? GrpcTransport.builder("127.0.0.1:0").plaintext().build() : network.transport("n" + i));
      if (i > 0) {
        b.seeds(nodes[0].address());
      }
      nodes[i] = b.build().start();
    }
    ChatmeshSystem.awaitTrue(() -> nodes[0].liveNodes().size() == 2 && nodes[1].liveNodes().size() == 2, "nodes to see each other");
    nodes[0].createRoom("room-0").get(30, TimeUnit.SECONDS);
    ChatmeshSystem.awaitTrue(() -> nodes[1].room("room-0").isPresent(), "room on node 1");
    Room room = nodes[1].room("room-0").orElseThrow();
    UserId pub = UserId.of("u0-1");
    room.join(pub, e -> {}).get(30, TimeUnit.SECONDS);
    // warm up code paths with a few messages so class loading is not counted
    fill(room, pub, payload, 0, 200);
    Map<String, long[]> before = histogram();
    fill(room, pub, payload, 200, n);
    Map<String, long[]> after = histogram();
    fill(room, pub, payload, 200 + n, n);
    Map<String, long[]> after2 = histogram();
    System.out.printf(Locale.ROOT, "transport: %s, messages: %,d, payload: %d B%n", grpc ? "grpc" : "inmem", n, payload);
    report("first fill (retained per message)", before, after, n);
    report("second fill (change per message once the windows are full)", after, after2, n);
    for (int i = nodes.length - 1; i >= 0; i--) {
      nodes[i].close();
    }
    if (network != null) {
      network.close();
    }
    System.exit(0);
  }

  private static void fill(Room room, UserId pub, int payload, int from, int count) throws Exception {
    List<CompletableFuture<?>> window = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      String text = Codec.encodeText(payload, 0, 1, i, System.nanoTime());
      window.add(room.send(pub, text, 1 + "-" + i));
      if (window.size() == 500) {
        CompletableFuture.allOf(window.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
        window.clear();
      }
    }
    CompletableFuture.allOf(window.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
  }

  private static void report(String title, Map<String, long[]> a, Map<String, long[]> b, int n) {
    List<Map.Entry<String, long[]>> diff = new ArrayList<>();
    long bytes = 0;
    long objects = 0;
    for (Map.Entry<String, long[]> e : b.entrySet()) {
      long[] was = a.getOrDefault(e.getKey(), new long[2]);
      long[] d = {e.getValue()[0] - was[0], e.getValue()[1] - was[1]};
      diff.add(Map.entry(e.getKey(), d));
      bytes += d[1];
      objects += d[0];
    }
    for (Map.Entry<String, long[]> e : a.entrySet()) {
      if (!b.containsKey(e.getKey())) {
        long[] d = {-e.getValue()[0], -e.getValue()[1]};
        diff.add(Map.entry(e.getKey(), d));
        bytes += d[1];
        objects += d[0];
      }
    }
    diff.sort((x, y) -> Long.compare(Math.abs(y.getValue()[1]), Math.abs(x.getValue()[1])));
    System.out.printf(Locale.ROOT, "== %s: %.1f bytes/message, %.2f objects/message (live heap diff %,d bytes, %,d objects)%n",
        title, (double) bytes / n, (double) objects / n, bytes, objects);
    for (int i = 0; i < Math.min(14, diff.size()); i++) {
      long[] d = diff.get(i).getValue();
      System.out.printf(Locale.ROOT, "   %8.1f B/msg %6.2f obj/msg  %s%n", (double) d[1] / n, (double) d[0] / n, diff.get(i).getKey());
    }
  }

  /** Class name -> {instances, bytes} of live objects (a full GC runs first). */
  private static Map<String, long[]> histogram() throws Exception {
    String out = (String) ManagementFactory.getPlatformMBeanServer().invoke(
        new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
        new Object[] {new String[0]}, new String[] {String[].class.getName()});
    Map<String, long[]> m = new HashMap<>();
    for (String line : out.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 4 && f[0].endsWith(":")) {
        m.put(f[3], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
      }
    }
    return m;
  }
}
