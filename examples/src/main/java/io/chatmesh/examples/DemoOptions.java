package io.chatmesh.examples;

import io.chatmesh.ChatException;
import io.chatmesh.Failover;
import io.chatmesh.NodeId;
import io.chatmesh.membership.SeedResolver;
import io.chatmesh.spi.lease.RoomLeases;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The demo's command line, parsed by picocli: the options (their descriptions are the usage text
 * that {@code demo-usage.txt} copies), checks of their values that name the option, and {@link
 * #call()}, which starts the demo. One instance per command line; not thread-safe.
 */
@Command(
    name = "demo.sh",
    versionProvider = ProjectVersion.Demo.class,
    subcommands = DemoToken.class,
    synopsisHeading = "usage: ",
    customSynopsis = {
      "./demo.sh [options]",
      "       ./demo.sh token NAME [--secret S] [--ttl 1h]",
    },
    description = {
      "Starts the chatmesh demo: without --node a whole cluster in this process, with --node ONE node",
      "of a cluster (one per process or machine). Ctrl-C stops it cleanly.",
    },
    optionListHeading = "%nEvery node:%n",
    commandListHeading = "%nCommands:%n",
    usageHelpWidth = 100,
    sortOptions = false)
final class DemoOptions implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--host", paramLabel = "HOST", order = 1, description =
          "address to bind and advertise, default 127.0.0.1")
  String host = "127.0.0.1";

  @Option(names = "--advertise", paramLabel = "HOST", order = 1, description =
          "the host peers dial for this node's gRPC port, when it is not --host (e.g. --host " +
          "0.0.0.0 in a container: the pod IP or the Compose service name); needs a fixed port")
  @Nullable String advertise;

  @Option(names = "--failure-timeout-ms", paramLabel = "N", order = 2,
      description = "silence after which a node is declared dead (100..600000), default 3000")
  int failureTimeoutMs = 3000;

  @Option(names = "--history", paramLabel = "URL", order = 3, description =
          "keep room history durably: h2:DIR (embedded H2; a whole cluster uses DIR/<node> " +
          "per node) or postgresql://[user[:pw]@]host[:port]/db; default: in memory (recent" +
          " 10,000 entries per room, lost on exit)")
  @Nullable String history;

  @Option(names = "--leases", paramLabel = "URL", order = 3, description =
          "failover: where the leases that pick each room's admin live, so that a room moves to " +
          "another node when its admin dies. memory: shared by the nodes of this process " +
          "(default without --node); etcd://HOST:PORT[,HOST:PORT...]; postgresql://[user[:pw]@]" +
          "host[:port]/db as for --history, or a jdbc:postgresql URL; none: a room is " +
          "unavailable while its admin is down (default with --node)")
  @Nullable String leases;

  @Option(names = "--replication-factor", paramLabel = "N", order = 3, description =
          "with failover: copies of each room's log, its admin's included (1..7), default 3")
  @Nullable Integer replicationFactor;

  @Option(names = "--acks", paramLabel = "replicated|admin-only", order = 3, converter = AcksConverter.class,
      description = "with failover: acknowledge a message once a majority of the room's copies " +
          "hold it (replicated, the default), or once its admin does (admin-only: faster, but " +
          "acknowledged messages the other copies had not received are lost when the admin dies)")
  Failover.@Nullable Acks acks;

  @Option(names = "--tls-dir", paramLabel = "DIR", order = 4, description =
          "mutual TLS between the nodes: each node reads ca.pem, node.pem and node.key from" +
          " DIR/<node> (or DIR itself); make them with examples/dev-ca.sh DIR n1 n2 n3. " +
          "Default: plaintext, logged as INSECURE (anyone reaching a gRPC port can act as " +
          "any node). If DIR/<node> also holds gateway.pem and gateway.key (dev-ca.sh makes " +
          "them), its gateway serves only https:// and wss:// from them")
  @Nullable Path tlsDir;

  @Option(names = "--auth", paramLabel = "open|jwt:SECRET", order = 5, description =
          "who may connect to the WebSocket gateways: open (default, logged as INSECURE: " +
          "anyone may use any name) or a signed token (HS256 JWT with this secret, at least" +
          " 32 bytes; 'jwt' alone uses the dev secret)")
  String auth = "open";

  @Option(names = "--allow-origins", paramLabel = "LIST", order = 6, description =
          "other page origins allowed to open a WebSocket, comma-separated (e.g. " +
          "http://127.0.0.1:8082); a whole cluster allows its own gateways")
  String allowOrigins = "";

  @Option(names = {"-h", "--help"}, usageHelp = true, order = 7, description =
          "this text (demo.sh prints it without building)")
  boolean help;

  @Option(names = {"-V", "--version"}, versionHelp = true, order = 8, description = "the version of chatmesh")
  boolean version;

  /** The options of a whole cluster in this process. */
  static final class Cluster {
    @Option(names = "--nodes", paramLabel = "N", order = 10, description =
            "how many nodes (1..26), default 3")
    int nodes = 3;

    @Option(names = "--grpc-base", paramLabel = "PORT", order = 11, description =
            "gRPC port of n1; n2 gets the next one, ... default 9091")
    int grpcBase = 9091;

    @Option(names = "--ws-base", paramLabel = "PORT", order = 12,
        description = "WebSocket/HTTP port of n1; n2 gets the next one, ... default 8081")
    int wsBase = 8081;
  }

  /** The options of one node in this process. */
  static final class One {
    @Option(names = "--node", paramLabel = "ID", order = 20, description =
            "run ONE node with this id (e.g. n2), for a real deployment")
    @Nullable String node;

    @Option(names = "--grpc-port", paramLabel = "PORT", order = 21, description =
            "its gRPC port, default 9091")
    int grpcPort = 9091;

    @Option(names = "--ws-port", paramLabel = "PORT", order = 22, description =
            "its WebSocket/HTTP port, default 8081")
    int wsPort = 8081;

    @Option(names = "--peers", paramLabel = "H:P,H:P", order = 23, description =
        "gRPC addresses of other nodes to greet (any subset is enough), or the name of them all "
            + "as dns:NAME:PORT (every address of NAME: a Kubernetes headless Service, a Compose "
            + "service), looked up again every 10 s")
    String peers = "";

    @Option(names = "--room", paramLabel = "NAME", order = 24, description =
            "room this node creates once it has met its peers (default room-a for n1, room-b " +
            "for n2, ...; 'none' for no room; kept if it already exists)")
    @Nullable String room;
  }

  @ArgGroup(exclusive = false, validate = false, order = 1, heading = "%nA whole cluster in this process (without --node):%n")
  @Nullable Cluster cluster;

  @ArgGroup(exclusive = false, validate = false, order = 2, heading = "%nOne node in this process (--node):%n")
  @Nullable One one;

  /** Starts the demo (after checking the options) and returns when it was stopped. */
  @Override
  public Integer call() throws InterruptedException {
    check();
    return Demo.start(this);
  }

  /** The cluster options, their defaults if none was given. */
  Cluster cluster() {
    return cluster != null ? cluster : new Cluster();
  }

  /** The one-node options, their defaults if none was given. */
  One one() {
    return one != null ? one : new One();
  }

  /** Whether {@code --node} was given. */
  boolean oneNode() {
    return one().node != null;
  }

  Duration failureTimeout() {
    return Duration.ofMillis(failureTimeoutMs);
  }

  /**
   * The {@code --leases} backend: as given, else {@code memory} for a whole cluster in this
   * process and {@code none} for {@code --node}.
   *
   * @throws ParameterException naming {@code --leases} if its value is wrong
   */
  DemoLeases leases() {
    try {
      return DemoLeases.parse(leases != null ? leases : oneNode() ? "none" : "memory");
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /**
   * The failover settings of {@code --replication-factor} and {@code --acks} (the library's
   * defaults for what is not given, and for the lease timing) over {@code leases}, or null without
   * leases ({@code --leases none}).
   */
  @Nullable Failover failover(@Nullable RoomLeases leases) {
    if (leases == null) {
      return null;
    }
    Failover.Builder b = Failover.builder(leases); // the library's defaults unless given
    if (replicationFactor != null) {
      b.replicationFactor(replicationFactor);
    }
    if (acks != null) {
      b.acks(acks);
    }
    return b.build();
  }

  /** The {@code --peers} list, split at commas. */
  List<String> peers() {
    return list(one().peers);
  }

  /** The gateway access of {@code --auth} and {@code --allow-origins} plus {@code origins}. */
  DemoNode.Access access(List<String> origins) {
    try {
      return Demo.access(auth, allowOrigins, origins);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /**
   * Checks every value, so that a mistake is a usage error naming the option before any node
   * starts.
   *
   * @throws ParameterException naming the option
   */
  void check() {
    range("--failure-timeout-ms", failureTimeoutMs, 100, 600_000);
    Cluster c = cluster();
    range("--nodes", c.nodes, 1, 26);
    range("--grpc-base", c.grpcBase, 0, 65535);
    range("--ws-base", c.wsBase, 0, 65535);
    One o = one();
    range("--grpc-port", o.grpcPort, 0, 65535);
    range("--ws-port", o.wsPort, 0, 65535);
    if (o.node != null) {
      try {
        NodeId.of(o.node);
      } catch (ChatException e) {
        throw new ParameterException(spec.commandLine(), "--node: " + e.detail());
      }
    }
    for (String p : peers()) {
      try {
        SeedResolver.DnsSeed.parse(p);
      } catch (ChatException e) {
        throw new ParameterException(spec.commandLine(), "--peers: " + e.detail());
      }
    }
    access(List.of());
    checkFailover();
    try {
      Demo.advertise(advertise, oneNode() ? o.grpcPort : c.grpcBase);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  private void checkFailover() {
    DemoLeases l = leases();
    if (l.kind() == DemoLeases.Kind.MEMORY && oneNode()) {
      throw new ParameterException(spec.commandLine(), "--leases memory works only for a whole cluster in one process "
          + "(without --node): separate processes cannot share it; use etcd://HOST:PORT or postgresql://... for --node");
    }
    if (replicationFactor != null) {
      range("--replication-factor", replicationFactor, 1, 7);
    }
    if (l.none() && (replicationFactor != null || acks != null)) {
      throw new ParameterException(spec.commandLine(), (replicationFactor != null ? "--replication-factor" : "--acks")
          + " needs failover, but --leases is none" + (leases == null ? " (the default with --node)" : "")
          + ": give --leases etcd://HOST:PORT or postgresql://...");
    }
  }

  /** {@code --acks}: {@code replicated} or {@code admin-only}, in any case. */
  static final class AcksConverter implements CommandLine.ITypeConverter<Failover.Acks> {
    @Override
    public Failover.Acks convert(String value) {
      return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
        case "replicated" -> Failover.Acks.REPLICATED;
        case "admin-only" -> Failover.Acks.ADMIN_ONLY;
        default -> throw new CommandLine.TypeConversionException("must be replicated or admin-only, was '" + value + "'");
      };
    }
  }

  private void range(String option, int value, int min, int max) {
    if (value < min || value > max) {
      throw new ParameterException(spec.commandLine(), option + " must be " + min + ".." + max + ", was " + value);
    }
  }

  /** {@code text} split at commas, blanks dropped. */
  static List<String> list(String text) {
    List<String> out = new ArrayList<>();
    for (String s : text.split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return out;
  }
}
