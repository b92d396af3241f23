package io.chatmesh.examples;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The chatmesh demo. Without {@code --node} it starts a 3-node cluster in this JVM (n1..n3, gRPC on
 * 9091..9093, WebSockets on 8081..8083, one room per node: room-a on n1, room-b on n2, room-c on
 * n3). With {@code --node} it runs ONE node, so three terminals or three machines form the same
 * cluster:
 *
 * <pre>
 * Demo --node n1 --grpc-port 9091 --ws-port 8081
 * Demo --node n2 --grpc-port 9092 --ws-port 8082 --peers 127.0.0.1:9091
 * Demo --node n3 --grpc-port 9093 --ws-port 8083 --peers 127.0.0.1:9091,127.0.0.1:9092
 * </pre>
 *
 * Ctrl-C closes every gateway and node cleanly. Run with {@code --help} for every option.
 */
public final class Demo {
  /**
   * The usage text, kept in {@code demo-usage.txt} next to this class so that {@code demo.sh --help}
   * prints the same file without building anything.
   */
  static final String USAGE = usage();

  /** Every option {@link #parse} accepts, without its leading {@code --}. */
  static final List<String> OPTIONS = List.of(
      "nodes", "grpc-base", "ws-base", "node", "grpc-port", "ws-port", "peers", "room", "host",
      "advertise", "failure-timeout-ms", "history", "tls-dir", "auth", "allow-origins", "help");

  private Demo() {}

  private static String usage() {
    try (InputStream in = Demo.class.getResourceAsStream("demo-usage.txt")) {
      if (in == null) {
        throw new IllegalStateException("demo-usage.txt is missing from the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read demo-usage.txt", e);
    }
  }

  /** Runs the demo; see the class documentation. */
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("token")) {
      try {
        System.out.println(DemoToken.run(java.util.Arrays.copyOfRange(args, 1, args.length), java.time.Instant.now()));
      } catch (IllegalArgumentException e) {
        System.err.println("demo: " + e.getMessage());
        System.exit(2);
      }
      return;
    }
    Map<String, String> opts;
    try {
      opts = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("demo: " + e.getMessage());
      System.err.print(USAGE);
      System.exit(2);
      return;
    }
    if (opts.containsKey("help")) {
      System.out.print(USAGE);
      return;
    }
    List<DemoNode> started = new ArrayList<>();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("shutting down ...");
      for (int i = started.size() - 1; i >= 0; i--) {
        try {
          started.get(i).close();
        } catch (RuntimeException e) {
          System.err.println("error while closing " + started.get(i).node().id() + ": " + e);
        }
      }
      System.out.println("bye");
      stopped.countDown();
    }, "demo-shutdown"));
    try {
      String host = opts.getOrDefault("host", "127.0.0.1");
      Duration failureTimeout = Duration.ofMillis(intOpt(opts, "failure-timeout-ms", 3000, 100, 600_000));
      if (opts.containsKey("node")) {
        runOne(opts, host, failureTimeout, started);
      } else {
        runCluster(opts, host, failureTimeout, started);
      }
    } catch (IllegalArgumentException e) {
      System.err.println("demo: " + e.getMessage());
      System.err.print(USAGE);
      System.exit(2);
    } catch (ChatException e) {
      System.err.println("demo: could not start: " + e.getMessage());
      System.exit(1);
    }
    stopped.await();
  }

  private static void runCluster(Map<String, String> opts, String host, Duration failureTimeout, List<DemoNode> started)
      throws InterruptedException {
    int n = intOpt(opts, "nodes", 3, 1, 26);
    int grpcBase = intOpt(opts, "grpc-base", 9091, 0, 65535);
    int wsBase = intOpt(opts, "ws-base", 8081, 0, 65535);
    List<String> peers = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      String history = opts.get("history");
      if (history != null && history.startsWith("h2:")) {
        history = history + "/n" + i; // one embedded database per node
      }
      DemoNode node = DemoNode.start(
          "n" + i, host, advertise(opts, port(grpcBase, i)), port(wsBase, i), List.copyOf(peers), failureTimeout, history,
          tlsDir(opts), access(opts, clusterOrigins(host, wsBase, n)));
      started.add(node);
      peers.add(node.node().address());
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!allConnected(started)) {
      if (System.nanoTime() > deadline) {
        throw new ChatException(ErrorCode.TIMEOUT, "the demo nodes did not see each other within 15 s");
      }
      Thread.sleep(50); // polling our own nodes at startup, not test synchronisation
    }
    for (DemoNode node : started) {
      node.ensureRoom(defaultRoom(node.node().id().value()));
    }
    banner(System.out, started, "Cluster of " + n + " nodes is up over gRPC (" + (tlsDir(opts) == null ? "PLAINTEXT: insecure, see --tls-dir" : "mutual TLS") + ").");
  }

  private static void runOne(Map<String, String> opts, String host, Duration failureTimeout, List<DemoNode> started) {
    String id = opts.get("node");
    int grpcPort = intOpt(opts, "grpc-port", 9091, 0, 65535);
    int wsPort = intOpt(opts, "ws-port", 8081, 0, 65535);
    List<String> peers = new ArrayList<>();
    String peerList = opts.getOrDefault("peers", "");
    for (String p : peerList.split(",")) {
      if (!p.isBlank()) {
        peers.add(p.trim());
      }
    }
    DemoNode node = DemoNode.start(
        id, host, advertise(opts, grpcPort), wsPort, peers, failureTimeout, opts.get("history"), tlsDir(opts),
        access(opts, List.of()));
    started.add(node);
    String room = opts.getOrDefault("room", defaultRoom(id));
    if (!room.equals("none")) {
      // after the node has met its peers (it may be the first one up): in the background
      node.ensureRoomWhenReady(room).whenComplete((v, e) -> {
        if (e != null) {
          System.err.println("demo: room " + room + " was not created on " + id + ": " + ChatException.from(e).getMessage());
        }
      });
    }
    banner(System.out, started, "Node " + id + " is up (gRPC " + node.node().address() + ", peers " + peers + ").");
  }

  /**
   * The gateway access of {@code --auth} ({@code open}, the default, or {@code jwt:SECRET}; {@code
   * jwt} alone uses {@link DemoToken#DEV_SECRET}) and {@code --allow-origins} plus {@code origins}.
   */
  static DemoNode.Access access(Map<String, String> opts, List<String> origins) {
    String auth = opts.getOrDefault("auth", "open");
    io.chatmesh.websocket.Authenticator authenticator;
    if (auth.equals("open")) {
      authenticator = io.chatmesh.websocket.Authenticator.ALLOW_ALL;
    } else if (auth.equals("jwt") || auth.startsWith("jwt:")) {
      String secret = auth.equals("jwt") ? DemoToken.DEV_SECRET : auth.substring(4);
      try {
        authenticator = io.chatmesh.websocket.JwtAuthenticator.builder().hmacSecret(secret).build();
      } catch (ChatException e) {
        throw new IllegalArgumentException("--auth jwt:SECRET: " + e.detail());
      }
    } else {
      throw new IllegalArgumentException("--auth must be open, jwt or jwt:SECRET, was '" + auth + "'");
    }
    List<String> allowed = new ArrayList<>(origins);
    for (String o : opts.getOrDefault("allow-origins", "").split(",")) {
      if (!o.isBlank()) {
        allowed.add(o.trim());
      }
    }
    return new DemoNode.Access(authenticator, allowed);
  }

  /** The page origins of a whole demo cluster's gateways, so the page can fail over between them. */
  private static List<String> clusterOrigins(String host, int wsBase, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 1; wsBase != 0 && i <= n; i++) {
      out.add("http://" + (host.equals("0.0.0.0") ? "127.0.0.1" : host) + ":" + port(wsBase, i));
    }
    return out;
  }

  private static int port(int base, int i) {
    return base == 0 ? 0 : base + i - 1;
  }

  private static boolean allConnected(List<DemoNode> nodes) {
    for (DemoNode a : nodes) {
      for (DemoNode b : nodes) {
        if (a != b && !a.node().liveNodes().contains(b.node().id())) {
          return false;
        }
      }
    }
    return true;
  }

  /** room-a for n1, room-b for n2, ... and room-ID for other ids. */
  static String defaultRoom(String nodeId) {
    Matcher m = Pattern.compile("n(\\d+)").matcher(nodeId);
    if (m.matches()) {
      int k = Integer.parseInt(m.group(1));
      if (k >= 1 && k <= 26) {
        return "room-" + (char) ('a' + k - 1);
      }
    }
    return "room-" + nodeId;
  }

  private static void banner(PrintStream out, List<DemoNode> nodes, String headline) {
    out.println();
    out.println("=== chatmesh demo === " + headline);
    for (DemoNode n : nodes) {
      out.printf("  %-4s browser: %-26s  WebSocket: %s%n", n.node().id(), n.pageUrl(), n.webSocketUrl());
    }
    DemoNode first = nodes.get(0);
    out.println("  Rooms: " + first.node().rooms().stream().map(r -> r.name() + "@" + r.admin()).toList());
    out.println("  Terminal client:  ./chat.sh " + first.webSocketUrl() + " alice");
    out.println("  Press Ctrl-C to stop.");
    StringBuilder ready = new StringBuilder("READY");
    for (DemoNode n : nodes) {
      ready.append(' ').append(n.node().id()).append("=ws:").append(n.gateway().port())
          .append(",grpc:").append(n.node().address());
    }
    out.println(ready);
    out.flush();
  }

  private static int intOpt(Map<String, String> opts, String name, int def, int min, int max) {
    String v = opts.get(name);
    if (v == null) {
      return def;
    }
    try {
      int i = Integer.parseInt(v.trim());
      if (i < min || i > max) {
        throw new IllegalArgumentException("--" + name + " must be " + min + ".." + max + ", was " + v);
      }
      return i;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be a number, was '" + v + "'");
    }
  }

  /**
   * The gRPC listen port and, with {@code --advertise HOST}, the address peers dial instead of the
   * {@code --host} one: {@code HOST:port} (for {@code --host 0.0.0.0} in a container, HOST being a
   * pod IP or a Compose service name).
   */
  static DemoNode.GrpcAddress advertise(Map<String, String> opts, int grpcPort) {
    String host = opts.get("advertise");
    if (host == null) {
      return new DemoNode.GrpcAddress(grpcPort, null);
    }
    host = host.trim();
    if (host.isEmpty() || host.contains(",") || host.contains("/") || host.matches(".*\\s.*")) {
      throw new IllegalArgumentException("--advertise must be a host name or address, was '" + host + "'");
    }
    if (grpcPort == 0) {
      throw new IllegalArgumentException("--advertise needs a fixed gRPC port (--grpc-port/--grpc-base), not 0");
    }
    boolean ipv6 = host.contains(":") && !host.startsWith("[");
    return new DemoNode.GrpcAddress(grpcPort, (ipv6 ? "[" + host + "]" : host) + ":" + grpcPort);
  }

  private static java.nio.file.@Nullable Path tlsDir(Map<String, String> opts) {
    String d = opts.get("tls-dir");
    return d == null ? null : java.nio.file.Path.of(d);
  }

  static Map<String, String> parse(String[] args) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("-h")) {
        out.put("help", "true");
        continue;
      }
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "'");
      }
      String key = a.substring(2);
      @Nullable String value = null;
      int eq = key.indexOf('=');
      if (eq >= 0) {
        value = key.substring(eq + 1);
        key = key.substring(0, eq);
      }
      if (!OPTIONS.contains(key)) {
        throw new IllegalArgumentException("unknown option --" + key);
      }
      if (key.equals("help")) {
        out.put(key, "true");
        continue;
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("--" + key + " needs a value");
        }
        value = args[++i];
      }
      out.put(key, value);
    }
    return out;
  }
}
