package io.chatmesh.examples;

import io.chatmesh.ChatException;
import io.chatmesh.ChatNode;
import io.chatmesh.ErrorCode;
import io.chatmesh.websocket.WebSocketGateway;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
    return start(
        ChatNode.builder()
            .nodeId(id)
            .transport("grpc", host + ":" + grpcPort)
            .seeds(peers)
            .heartbeatInterval(failureTimeout.dividedBy(6))
            .failureTimeout(failureTimeout),
        host,
        wsPort);
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

  /** Creates {@code room} on this node unless the cluster already has it. */
  public void ensureRoom(String room) {
    if (node.room(room).isPresent()) {
      return;
    }
    try {
      node.createRoom(room).get(10, TimeUnit.SECONDS);
      log.info("created room {} on {}", room, node.id());
    } catch (Exception e) {
      ChatException ce = ChatException.from(e);
      if (ce.code() != ErrorCode.ROOM_EXISTS) {
        throw ce;
      }
    }
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
