package io.chatmesh.examples;

import io.chatmesh.ChatException;
import io.chatmesh.ChatNode;
import io.chatmesh.ErrorCode;
import io.chatmesh.transport.grpc.GrpcTls;
import io.chatmesh.transport.grpc.GrpcTransport;
import io.chatmesh.websocket.WebSocketGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One demo node: a {@link ChatNode} over gRPC plus a {@link WebSocketGateway} in front of it, as an
 * application would embed them. Closing closes the gateway first (users are told the server goes
 * away), then the node. Thread-safe; close is idempotent.
 */
public final class DemoNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DemoNode.class);
  private final ChatNode node;
  private final WebSocketGateway gateway;

  private DemoNode(ChatNode node, WebSocketGateway gateway) {
    this.node = node;
    this.gateway = gateway;
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
   * {@code examples/dev-ca.sh}). Without it the links are plaintext, logged as INSECURE.
   *
   * @throws ChatException BAD_REQUEST naming a missing TLS file; UNAVAILABLE if a port cannot be bound
   */
  public static DemoNode start(
      String id, String host, int grpcPort, int wsPort, List<String> peers, Duration failureTimeout,
      @org.jspecify.annotations.Nullable String history, @org.jspecify.annotations.Nullable Path tlsDir) {
    GrpcTransport.Builder grpc = GrpcTransport.builder(host + ":" + grpcPort);
    if (tlsDir == null) {
      grpc.plaintext(); // the demo's explicit choice; the transport logs it as INSECURE
    } else {
      Path own = tlsDir.resolve(id);
      grpc.tls(GrpcTls.fromDirectory(Files.isDirectory(own) ? own : tlsDir));
    }
    ChatNode.Builder b =
        ChatNode.builder()
            .nodeId(id)
            .transport(grpc.build())
            .seeds(peers)
            .heartbeatInterval(failureTimeout.dividedBy(6))
            .failureTimeout(failureTimeout);
    if (history != null) {
      b.history(io.chatmesh.history.jdbc.JdbcHistoryStore.forUrl(history));
      log.info("node {} keeps its rooms' history in {}", id, history.startsWith("h2:") ? history : "PostgreSQL");
    }
    return start(b, host, wsPort);
  }

  /** Builds and starts the node configured by {@code builder}, then a gateway on {@code host:wsPort}. */
  public static DemoNode start(ChatNode.Builder builder, String host, int wsPort) {
    ChatNode node = builder.build().start();
    try {
      WebSocketGateway gateway = WebSocketGateway.builder(node).host(host).port(wsPort).build().start();
      return new DemoNode(node, gateway);
    } catch (RuntimeException e) {
      node.close();
      throw e;
    }
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
   * the cluster already holds it. Returns at once; the future completes when the room exists
   * (created here, or found to exist), or fails with the creation's {@link ChatException}.
   */
  public CompletableFuture<Void> ensureRoomWhenReady(String room) {
    if (!node.isReady()) {
      log.info("node {} will create room {} once it has met its peers", node.id(), room);
    }
    return node.ready()
        .thenCompose(ready -> node.room(room).isPresent()
            ? CompletableFuture.<Void>completedFuture(null)
            : node.createRoom(room).thenAccept(r -> log.info("created room {} on {}", room, node.id())))
        .exceptionallyCompose(e -> {
          ChatException ce = ChatException.from(e);
          if (ce.code() == ErrorCode.ROOM_EXISTS) {
            log.info("room {} already exists in the cluster: {}", room, ce.getMessage());
            return CompletableFuture.completedFuture(null);
          }
          return CompletableFuture.failedFuture(ce);
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

  /** {@code http://host:port/}, the web page of this node. */
  public String pageUrl() {
    return "http://" + gateway.host() + ":" + gateway.port() + "/";
  }

  /** {@code ws://host:port/ws}, the WebSocket endpoint of this node. */
  public String webSocketUrl() {
    return "ws://" + gateway.host() + ":" + gateway.port() + WebSocketGateway.WEBSOCKET_PATH;
  }

  @Override
  public void close() {
    gateway.close();
    node.close();
  }
}
