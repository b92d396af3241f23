package io.chatmesh.examples;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.Failover;
import io.chatmesh.spi.lease.RoomLeases;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;

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
 * Ctrl-C closes every gateway and node cleanly. Run with {@code --help} for every option; the
 * options are parsed by picocli ({@link DemoOptions}).
 */
public final class Demo {
  /**
   * The usage text as {@code demo.sh --help} prints it without building: {@code demo-usage.txt}
   * next to this class, a copy of the usage picocli generates from {@link DemoOptions} ({@code
   * DemoUsageTest} checks that they are equal).
   */
  static final String USAGE = usageFile();

  private Demo() {}

  private static String usageFile() {
    try (InputStream in = Demo.class.getResourceAsStream("demo-usage.txt")) {
      if (in == null) {
        throw new IllegalStateException("demo-usage.txt is missing from the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read demo-usage.txt", e);
    }
  }

  /** The demo's command line: {@link DemoOptions} with its {@code token} command, without colours. */
  static CommandLine commandLine() {
    CommandLine cmd = new CommandLine(new DemoOptions());
    cmd.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
    return cmd;
  }

  /**
   * {@code args} parsed and checked, without running anything (for tests and tools that check a
   * command line, e.g. the container image's default arguments).
   *
   * @throws CommandLine.ParameterException naming the option that is unknown or malformed
   */
  static DemoOptions parse(String... args) {
    CommandLine cmd = commandLine();
    cmd.parseArgs(args);
    DemoOptions opts = cmd.getCommand();
    opts.check();
    return opts;
  }

  /** The usage text picocli generates from {@link DemoOptions}. */
  static String usage() {
    return commandLine().getUsageMessage();
  }

  /** Runs the demo; see the class documentation. Exit code 2 for a wrong command line. */
  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /**
   * Parses {@code args} and runs what they ask for: the usage ({@code --help}), the version, a
   * token, or the demo (returning once it was stopped). Returns the exit code: 0, 1 if the demo
   * could not start, 2 for a wrong command line (the message, naming the option, and the usage go
   * to {@code err}).
   */
  static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine cmd = commandLine();
    cmd.setOut(new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true));
    cmd.setErr(new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
    return cmd.execute(args);
  }

  /** Starts what {@code opts} ask for and waits until it was stopped (Ctrl-C); returns the exit code. */
  static int start(DemoOptions opts) throws InterruptedException {
    List<DemoNode> started = new ArrayList<>();
    CountDownLatch stopped = new CountDownLatch(1);
    @Nullable RoomLeases leases;
    try {
      leases = opts.leases().open(); // shared by the nodes of this process, closed after them
    } catch (ChatException e) {
      System.err.println("demo: could not start: --leases: " + e.getMessage());
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("shutting down ...");
      if (leases != null && started.size() == 1) {
        drain(started.get(0)); // one node of a cluster: its rooms move to their replicas first
      }
      close(started, leases);
      System.out.println("bye");
      stopped.countDown();
    }, "demo-shutdown"));
    try {
      if (opts.oneNode()) {
        runOne(opts, opts.failover(leases), started);
      } else {
        runCluster(opts, opts.failover(leases), started);
      }
    } catch (ChatException e) {
      System.err.println("demo: could not start: " + e.getMessage());
      return 1;
    }
    stopped.await();
    return 0;
  }

  /**
   * Moves every room {@code n} administers to a live replica (bounded: 15 s), so the other nodes'
   * users see the rooms move instead of waiting for a failover.
   */
  static void drain(DemoNode n) {
    System.out.println("moving the rooms of " + n.node().id() + " to their replicas ...");
    try {
      n.node().drain().get(15, java.util.concurrent.TimeUnit.SECONDS);
      System.out.println("rooms moved");
    } catch (java.util.concurrent.ExecutionException e) {
      System.err.println("some rooms could not be moved (they fail over when the lease lapses): " + e.getCause().getMessage());
    } catch (java.util.concurrent.TimeoutException e) {
      System.err.println("moving the rooms took too long; the rest fail over when their leases lapse");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Closes the nodes, the last started first, then the leases they shared. */
  static void close(List<DemoNode> started, @Nullable RoomLeases leases) {
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (RuntimeException e) {
        System.err.println("error while closing " + started.get(i).node().id() + ": " + e);
      }
    }
    if (leases != null) {
      try {
        leases.close();
      } catch (RuntimeException e) {
        System.err.println("error while closing the leases: " + e);
      }
    }
  }

  /**
   * Starts a whole cluster in this process as {@code opts} say, every node with {@code failover}
   * (or none), adds each node to {@code started} as soon as it runs, creates the nodes' rooms and
   * prints the banner.
   */
  static void runCluster(DemoOptions opts, @Nullable Failover failover, List<DemoNode> started) throws InterruptedException {
    DemoOptions.Cluster c = opts.cluster();
    int n = c.nodes;
    List<String> peers = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      String history = opts.history;
      if (history != null && history.startsWith("h2:")) {
        history = history + "/n" + i; // one embedded database per node
      }
      DemoNode node = DemoNode.start(
          "n" + i, opts.host, advertise(opts.advertise, port(c.grpcBase, i)), port(c.wsBase, i), List.copyOf(peers),
          opts.failureTimeout(), history,
          opts.tlsDir, opts.access(clusterOrigins(opts.host, c.wsBase, n)), failover);
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
    banner(System.out, started, "Cluster of " + n + " nodes is up over gRPC (" + (opts.tlsDir == null ? "PLAINTEXT: insecure, see --tls-dir" : "mutual TLS") + ").",
        failoverLine(opts.leases(), failover));
  }

  /** How long a {@code --node} with failover waits for the peers of a full replica set before creating its room anyway. */
  static final Duration REPLICA_WAIT = Duration.ofSeconds(120);

  private static void runOne(DemoOptions opts, @Nullable Failover failover, List<DemoNode> started) {
    DemoOptions.One o = opts.one();
    String id = java.util.Objects.requireNonNull(o.node);
    List<String> peers = opts.peers();
    DemoNode node = DemoNode.start(
        id, opts.host, advertise(opts.advertise, o.grpcPort), o.wsPort, peers, opts.failureTimeout(), opts.history,
        opts.tlsDir, opts.access(List.of()), failover);
    started.add(node);
    String room = o.room != null ? o.room : defaultRoom(id);
    if (!room.equals("none")) {
      // after the node has met its peers (it may be the first one up) and, with failover, enough of
      // them for a full replica set: in the background
      DemoNode.whenPeersForReplicas(node.node(), failover, room, REPLICA_WAIT).thenCompose(x -> node.ensureRoomWhenReady(room)).whenComplete((v, e) -> {
        if (e != null) {
          System.err.println("demo: room " + room + " was not created on " + id + ": " + ChatException.from(e).getMessage());
        }
      });
    }
    banner(System.out, started, "Node " + id + " is up (gRPC " + node.node().address() + ", peers " + peers + ").",
        failoverLine(opts.leases(), failover));
  }

  /**
   * The gateway access of {@code --auth} ({@code open}, the default, or {@code jwt:SECRET}; {@code
   * jwt} alone uses {@link DemoToken#DEV_SECRET}) and {@code --allow-origins} (comma-separated) plus
   * {@code origins}.
   *
   * @throws IllegalArgumentException naming {@code --auth} if its value is wrong
   */
  static DemoNode.Access access(String auth, String allowOrigins, List<String> origins) {
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
    allowed.addAll(DemoOptions.list(allowOrigins));
    return new DemoNode.Access(authenticator, allowed);
  }

  /** The page origins of a whole demo cluster's gateways, so the page can fail over between them. */
  private static List<String> clusterOrigins(String host, int wsBase, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 1; wsBase != 0 && i <= n; i++) {
      out.add("http://" + (host.equals("0.0.0.0") ? "127.0.0.1" : host) + ":" + port(wsBase, i));
      out.add("https://" + (host.equals("0.0.0.0") ? "127.0.0.1" : host) + ":" + port(wsBase, i)); // gateways with TLS
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

  /** The banner's line about failover. */
  static String failoverLine(DemoLeases leases, @Nullable Failover failover) {
    if (failover == null) {
      return "Failover: off (--leases none): a room is unavailable while its admin node is down.";
    }
    return "Failover: leases " + leases.describe() + ", replication factor " + failover.replicationFactor() + ", acks "
        + failover.acks().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + ", lease " + failover.leaseDuration().toMillis()
        + " ms: when a room's admin dies, another node takes the room over.";
  }

  private static void banner(PrintStream out, List<DemoNode> nodes, String headline, String failover) {
    out.println();
    out.println("=== chatmesh demo === " + headline);
    out.println("  " + failover);
    for (DemoNode n : nodes) {
      out.printf("  %-4s browser: %-26s  WebSocket: %s%n", n.node().id(), n.pageUrl(), n.webSocketUrl());
    }
    DemoNode first = nodes.get(0);
    List<String> rooms = first.node().rooms().stream().map(r -> r.name() + "@" + r.admin()).toList();
    // a --node creates its room in the background once it has met its peers: say so rather than "[]"
    out.println("  Rooms: " + (rooms.isEmpty() && nodes.size() == 1 ? "none yet (this node creates its room once it has met its peers; see the log)" : rooms));
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

  /**
   * The gRPC listen port and, with {@code --advertise HOST}, the address peers dial instead of the
   * {@code --host} one: {@code HOST:port} (for {@code --host 0.0.0.0} in a container, HOST being a
   * pod IP or a Compose service name).
   *
   * @throws IllegalArgumentException naming {@code --advertise} for a malformed host or a port 0
   */
  static DemoNode.GrpcAddress advertise(@Nullable String advertise, int grpcPort) {
    if (advertise == null) {
      return new DemoNode.GrpcAddress(grpcPort, null);
    }
    String host = advertise.trim();
    if (host.isEmpty() || host.contains(",") || host.contains("/") || host.matches(".*\\s.*")) {
      throw new IllegalArgumentException("--advertise must be a host name or address, was '" + host + "'");
    }
    if (grpcPort == 0) {
      throw new IllegalArgumentException("--advertise needs a fixed gRPC port (--grpc-port/--grpc-base), not 0");
    }
    boolean ipv6 = host.contains(":") && !host.startsWith("[");
    return new DemoNode.GrpcAddress(grpcPort, (ipv6 ? "[" + host + "]" : host) + ":" + grpcPort);
  }
}
