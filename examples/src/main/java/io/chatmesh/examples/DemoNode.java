package io.chatmesh.examples;

import io.chatmesh.ChatException;
import io.chatmesh.ChatNode;
import io.chatmesh.ErrorCode;
import io.chatmesh.Failover;
import io.chatmesh.NodeHealth;
import io.chatmesh.micrometer.ChatNodeMetrics;
import io.chatmesh.micrometer.GrpcTransportMetrics;
import io.chatmesh.micrometer.WebSocketGatewayMetrics;
import io.chatmesh.transport.grpc.GrpcTls;
import io.chatmesh.transport.grpc.GrpcTransport;
import io.chatmesh.websocket.HttpRoute;
import io.chatmesh.websocket.Authenticator;
import io.chatmesh.websocket.WebSocketGateway;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One demo node: a {@link ChatNode} over gRPC plus a {@link WebSocketGateway} in front of it, as an
 * application would embed them. Closing closes the gateway first (users are told the server goes
 * away), then the node. Thread-safe; close is idempotent.
 *
 * <p>Besides the chat page and the WebSocket endpoint, the gateway's HTTP port serves:
 *
 * <ul>
 *   <li>{@code GET /metrics}: every meter of the node, its gRPC transport, its gateway and the JVM
 *       in the Prometheus text format ({@code chatmesh-micrometer});
 *   <li>{@code GET /healthz}: 200 while the process serves HTTP (liveness);
 *   <li>{@code GET /readyz}: 200 when {@link ChatNode#health()} is ready, else 503 with one line per
 *       failed check (readiness).
 * </ul>
 */
public final class DemoNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DemoNode.class);
  /** The content type of the Prometheus text format that {@code /metrics} serves. */
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private final ChatNode node;
  private final WebSocketGateway gateway;
  private final PrometheusMeterRegistry registry;
  private volatile boolean closed;

  private DemoNode(ChatNode node, WebSocketGateway gateway, PrometheusMeterRegistry registry) {
    this.node = node;
    this.gateway = gateway;
    this.registry = registry;
  }

  /**
   * Starts a node named {@code id} with gRPC on {@code host:grpcPort} and WebSockets on {@code
   * host:wsPort} (0 = any free port), greeting {@code peers} ({@code host:port} gRPC addresses).
   *
   * @throws ChatException UNAVAILABLE if a port cannot be bound
   */
  public static DemoNode start(
      String id, String host, int grpcPort, int wsPort, List<String> peers, Duration failureTimeout) {
    return start(id, host, grpcPort, wsPort, peers, failureTimeout, null);
  }

  /**
   * Like {@link #start(String, String, int, int, List, Duration)}, keeping the history of the
   * rooms this node administers in {@code history} ({@code h2:DIR}, {@code postgresql://...}; see
   * {@code JdbcHistoryStore.forUrl}), or in memory when null.
   */
  public static DemoNode start(
      String id, String host, int grpcPort, int wsPort, List<String> peers, Duration failureTimeout,
      @org.jspecify.annotations.Nullable String history) {
    return start(id, host, grpcPort, wsPort, peers, failureTimeout, history, null);
  }

  /**
   * Like {@link #start(String, String, int, int, List, Duration, String)}, with mutual TLS between
   * the nodes when {@code tlsDir} is set: the node reads {@code ca.pem}, {@code node.pem} and {@code
   * node.key} from {@code tlsDir/<id>} if that directory exists, else from {@code tlsDir} (see
   * {@code examples/dev-ca.sh}). Without it the links are plaintext, logged as INSECURE. If that
   * directory also holds {@code gateway.pem} and {@code gateway.key}, the gateway serves {@code
   * https}/{@code wss} from them ({@link WebSocketGateway.Builder#tls}).
   *
   * @throws ChatException BAD_REQUEST naming a missing TLS file; UNAVAILABLE if a port cannot be bound
   */
  public static DemoNode start(
      String id, String host, int grpcPort, int wsPort, List<String> peers, Duration failureTimeout,
      @org.jspecify.annotations.Nullable String history, @org.jspecify.annotations.Nullable Path tlsDir) {
    return start(id, host, grpcPort, wsPort, peers, failureTimeout, history, tlsDir, Access.OPEN);
  }

  /**
   * Who may use a demo node's gateway: its {@link Authenticator} and the origins, besides its own,
   * whose pages may connect (the other gateways of the cluster, for the page's failover).
   *
   * @param authenticator the gateway's authenticator
   * @param allowedOrigins extra allowed origins, e.g. {@code http://127.0.0.1:8082}
   */
  public record Access(Authenticator authenticator, List<String> allowedOrigins) {
    /** Open authentication (logged as INSECURE by the gateway), only the gateway's own origin. */
    public static final Access OPEN = new Access(Authenticator.ALLOW_ALL, List.of());

    /** Copies the list. */
    public Access {
      allowedOrigins = List.copyOf(allowedOrigins);
    }
  }

  /** Like the other {@code start} methods, with the gateway's {@link Access}. */
  public static DemoNode start(
      String id, String host, int grpcPort, int wsPort, List<String> peers, Duration failureTimeout,
      @org.jspecify.annotations.Nullable String history, @org.jspecify.annotations.Nullable Path tlsDir, Access access) {
    return start(id, host, new GrpcAddress(grpcPort, null), wsPort, peers, failureTimeout, history, tlsDir, access, null);
  }

  /**
   * A node's gRPC listen port and the address its peers dial, when that is not {@code host:port}
   * (listening on {@code 0.0.0.0} in a container, reachable as a pod IP or a service name).
   *
   * @param port the port to listen on (0 = any free port)
   * @param advertised {@code host:port} to tell peers, or null for the listen address
   */
  record GrpcAddress(int port, @Nullable String advertised) {}

  static DemoNode start(
      String id, String host, GrpcAddress grpcAddress, int wsPort, List<String> peers, Duration failureTimeout,
      @Nullable String history, @Nullable Path tlsDir, Access access, @Nullable Failover failover) {
    GrpcTransport.Builder grpc = GrpcTransport.builder(host + ":" + grpcAddress.port());
    if (grpcAddress.advertised() != null) {
      grpc.advertisedAddress(grpcAddress.advertised());
    }
    @org.jspecify.annotations.Nullable Path gatewayTls = null;
    if (tlsDir == null) {
      grpc.plaintext(); // the demo's explicit choice; the transport logs it as INSECURE
    } else {
      Path own = Files.isDirectory(tlsDir.resolve(id)) ? tlsDir.resolve(id) : tlsDir;
      grpc.tls(GrpcTls.fromDirectory(own));
      gatewayTls = Files.exists(own.resolve("gateway.pem")) || Files.exists(own.resolve("gateway.key")) ? own : null;
    }
    GrpcTransport transport = grpc.build();
    ChatNode.Builder b =
        ChatNode.builder()
            .nodeId(id)
            .transport(transport)
            .seeds(peers)
            .heartbeatInterval(failureTimeout.dividedBy(6))
            .failureTimeout(failureTimeout);
    if (history != null) {
      // with failover, a PostgreSQL history is the cluster's one shared log: acks on its commit, no
      // replication, and the store fences a stale admin; an h2: directory is per node
      boolean shared = failover != null && !history.startsWith("h2:");
      b.history(io.chatmesh.history.jdbc.JdbcHistoryStore.builder().url(history).shared(shared).build());
      log.info("node {} keeps its rooms' history in {}{}", id, history.startsWith("h2:") ? history : "PostgreSQL",
          shared ? " (shared by the cluster)" : "");
    }
    if (failover != null) {
      b.failover(failover);
    }
    return start(b, transport, host, wsPort, access, gatewayTls);
  }

  /**
   * Builds and starts the node configured by {@code builder}, then a gateway on {@code
   * host:wsPort} serving {@code /metrics}, {@code /healthz} and {@code /readyz} too (no transport
   * meters: the builder's transport is not known here).
   */
  public static DemoNode start(ChatNode.Builder builder, String host, int wsPort) {
    return start(builder, null, host, wsPort, Access.OPEN, null);
  }

  /** Like {@link #start(ChatNode.Builder, String, int)}, with the gateway's {@link Access}. */
  public static DemoNode start(ChatNode.Builder builder, String host, int wsPort, Access access) {
    return start(builder, null, host, wsPort, access, null);
  }

  private static DemoNode start(
      ChatNode.Builder builder, @Nullable GrpcTransport transport, String host, int wsPort, Access access,
      @Nullable Path gatewayTls) {
    ChatNode node = builder.build().start();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try {
      String id = node.id().value();
      ChatNodeMetrics.builder(node).build().bindTo(registry);
      if (transport != null) {
        new GrpcTransportMetrics(transport, "node", id).bindTo(registry);
      }
      new JvmMemoryMetrics().bindTo(registry);
      new JvmThreadMetrics().bindTo(registry);
      new ProcessorMetrics().bindTo(registry);
      WebSocketGateway.Builder gw = WebSocketGateway.builder(node);
      if (gatewayTls != null) {
        gw.tls(gatewayTls.resolve("gateway.pem"), gatewayTls.resolve("gateway.key"));
      }
      WebSocketGateway gateway =
          gw
              .host(host)
              .port(wsPort)
              .authenticator(access.authenticator())
              .allowedOrigins(access.allowedOrigins())
              .route("/metrics", () -> HttpRoute.Response.of(200, PROMETHEUS_TEXT, registry.scrape()))
              .route("/healthz", () -> HttpRoute.Response.text(200, "ok\n"))
              .route("/readyz", () -> readiness(node.health()))
              .build()
              .start();
      new WebSocketGatewayMetrics(gateway, "node", id).bindTo(registry);
      return new DemoNode(node, gateway, registry);
    } catch (RuntimeException e) {
      registry.close();
      node.close();
      throw e;
    }
  }

  /** {@code /readyz}: 200 "ready", or 503 with one line per failed check. */
  static HttpRoute.Response readiness(NodeHealth h) {
    return h.ready() ? HttpRoute.Response.text(200, "ready\n") : HttpRoute.Response.text(503, String.join("\n", h.problems()) + "\n");
  }

  /**
   * Creates {@code room} on this node unless the cluster already has it, waiting (at most 10 s)
   * until the node is {@link ChatNode#ready() ready} first.
   *
   * @throws ChatException the creation's error (ROOM_EXISTS is not one: the room exists), or
   *     TIMEOUT if the node did not become ready or the creation did not finish in time
   */
  public void ensureRoom(String room) {
    try {
      ensureRoomWhenReady(room).get(10, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new ChatException(ErrorCode.TIMEOUT, "room " + room + " was not created on " + node.id() + " within 10 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ChatException(ErrorCode.UNAVAILABLE, "interrupted while creating room " + room, e);
    } catch (ExecutionException e) {
      throw ChatException.from(e.getCause());
    }
  }

  /**
   * Creates {@code room} on this node, unless the cluster already has it, once the node is ready
   * (it has met its peers): a node that restarted must not create a name before it can learn that
   * the cluster already holds it. A creation refused as UNAVAILABLE or TIMEOUT (the node has not yet
   * heard every known node's directory, or no majority answered in time) is tried again every
   * {@value #CREATE_RETRY_MILLIS} ms for up to {@value #CREATE_RETRY_LIMIT_SECONDS} s. Returns at
   * once; the future completes when the room exists (created here, or found to exist), or fails
   * with the last creation's {@link ChatException}.
   */
  public CompletableFuture<Void> ensureRoomWhenReady(String room) {
    return ensureRoomWhenReady(node, room, () -> closed);
  }

  /**
   * With failover, completes once {@code node} sees {@code replicationFactor - 1} live peers, or
   * after {@code limit} (then with a warning): a room's replica set is chosen when it is created from
   * the nodes live then and never grows, so a room created by the first node up, alone, would have
   * no replica and could not fail over. Without failover, completes at once.
   */
  static CompletableFuture<Void> whenPeersForReplicas(ChatNode node, @Nullable Failover failover, String room, Duration limit) {
    if (failover == null || node.liveNodes().size() >= failover.replicationFactor() - 1
        || node.rooms().stream().anyMatch(r -> r.name().equals(room))) {
      return CompletableFuture.completedFuture(null);
    }
    int wanted = failover.replicationFactor() - 1;
    log.info("node {} will create room {} once it sees {} other nodes (replication factor {}), so that the room has replicas to fail over to;"
        + " it sees {} now", node.id(), room, wanted, failover.replicationFactor(), node.liveNodes().size());
    long deadline = System.nanoTime() + limit.toNanos();
    CompletableFuture<Void> done = new CompletableFuture<>();
    pollPeers(node, wanted, room, deadline, done);
    return done;
  }

  private static void pollPeers(ChatNode node, int wanted, String room, long deadline, CompletableFuture<Void> done) {
    int live = node.liveNodes().size();
    if (live >= wanted) {
      done.complete(null);
    } else if (System.nanoTime() - deadline > 0) {
      log.warn("node {} creates room {} with only {} other live nodes: the room gets {} of the wanted {} replicas and cannot fail over"
          + " without a majority of them", node.id(), room, live, live + 1, wanted + 1);
      done.complete(null);
    } else {
      CompletableFuture.delayedExecutor(PEER_POLL_MILLIS, TimeUnit.MILLISECONDS).execute(() -> pollPeers(node, wanted, room, deadline, done));
    }
  }

  private static final long PEER_POLL_MILLIS = 200;

  private static final long CREATE_RETRY_MILLIS = 500;
  private static final long CREATE_RETRY_LIMIT_SECONDS = 60;

  /** {@link #ensureRoomWhenReady(String)} for any node; retries stop once {@code closed} says so. */
  static CompletableFuture<Void> ensureRoomWhenReady(ChatNode node, String room, BooleanSupplier closed) {
    if (!node.isReady()) {
      log.info("node {} will create room {} once it has met its peers", node.id(), room);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CREATE_RETRY_LIMIT_SECONDS);
    return node.ready().thenCompose(ready -> createOrFind(node, room, closed, deadline, 1));
  }

  private static CompletableFuture<Void> createOrFind(ChatNode node, String room, BooleanSupplier closed, long deadline, int attempt) {
    CompletableFuture<Void> created = node.room(room).isPresent()
        ? CompletableFuture.completedFuture(null)
        : node.createRoom(room).thenAccept(r -> log.info("created room {} on {}", room, node.id()));
    return created.exceptionallyCompose(e -> {
      ChatException ce = ChatException.from(e);
      if (ce.code() == ErrorCode.ROOM_EXISTS) {
        log.info("room {} already exists in the cluster: {}", room, ce.getMessage());
        return CompletableFuture.completedFuture(null);
      }
      boolean retriable = ce.code() == ErrorCode.UNAVAILABLE || ce.code() == ErrorCode.TIMEOUT;
      if (!retriable || System.nanoTime() - deadline > 0 || closed.getAsBoolean()) {
        return CompletableFuture.failedFuture(ce);
      }
      if (attempt == 1) {
        log.info("node {} cannot create room {} yet, trying again every {} ms: {}", node.id(), room, CREATE_RETRY_MILLIS, ce.getMessage());
      }
      return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(CREATE_RETRY_MILLIS, TimeUnit.MILLISECONDS))
          .thenCompose(x -> createOrFind(node, room, closed, deadline, attempt + 1));
    });
  }

  /** The chat node. */
  public ChatNode node() {
    return node;
  }

  /** The WebSocket gateway. */
  public WebSocketGateway gateway() {
    return gateway;
  }

  /** {@code http://host:port/} ({@code https} with TLS), the web page of this node. */
  public String pageUrl() {
    return httpUrl() + "/";
  }

  /** {@code http(s)://host:port}, the base of {@code /metrics}, {@code /healthz} and {@code /readyz}. */
  public String httpUrl() {
    return (gateway.secure() ? "https://" : "http://") + gateway.host() + ":" + gateway.port();
  }

  /** The registry behind {@code /metrics}. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** {@code ws://host:port/ws} ({@code wss} with TLS), the WebSocket endpoint of this node. */
  public String webSocketUrl() {
    return (gateway.secure() ? "wss://" : "ws://") + gateway.host() + ":" + gateway.port() + WebSocketGateway.WEBSOCKET_PATH;
  }

  @Override
  public void close() {
    closed = true;
    gateway.close();
    node.close();
    registry.close();
  }
}
