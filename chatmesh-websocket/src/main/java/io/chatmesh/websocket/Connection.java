package io.chatmesh.websocket;

import static io.chatmesh.websocket.RequestFields.MAX_ID_LENGTH;
import static io.chatmesh.websocket.RequestFields.bad;
import static io.chatmesh.websocket.RequestFields.optionalString;
import static io.chatmesh.websocket.RequestFields.truncate;
import static io.chatmesh.websocket.RequestFields.validId;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.UserId;
import io.chatmesh.time.ChatClock;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, as the last handler of its channel: the WebSocket-level events (handshake,
 * hello deadline, idle pings and timeout, protocol errors, close), the parsing and rate limiting of
 * each request frame, the sign-in ({@code hello}, credential expiry) and the dispatch of the other
 * requests: {@code rooms} here, the room requests to its {@link ConnectionRooms}. All mutable state
 * is confined to the channel's event loop: inbound frames arrive there, and future completions and
 * room events are handed to it with {@link Outbound#onLoop}. Everything sent to the client goes
 * through its {@link Outbound}, which bounds what is waiting so that a slow reader is disconnected
 * instead of growing memory.
 */
final class Connection extends SimpleChannelInboundHandler<WebSocketFrame> {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);
  static final String TYPES = "hello, rooms, create, join, leave, send, delete, invite, uninvite, history";

  private final GatewaySettings settings;
  private final GatewayState state;
  private final TokenBucket bucket;
  private final Outbound out;
  private final ConnectionRooms rooms;
  // --- event-loop confined ---
  private boolean websocket;
  private @Nullable UserId user;
  /** Ends the connection when its credential expires; null without one. */
  private ChatClock.@Nullable Cancellable expiry;

  Connection(GatewaySettings settings, GatewayState state) {
    this.settings = settings;
    this.state = state;
    this.bucket = new TokenBucket(settings.maxRequestsPerSecond, settings.nanoTime);
    this.out = new Outbound(settings, state, () -> user);
    this.rooms = new ConnectionRooms(settings, state, out, () -> user);
  }

  // ------------------------------------------------------------------ netty callbacks

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    out.attach(ctx);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
      websocket = true;
      log.debug("WebSocket connection from {}", ctx.channel().remoteAddress());
    } else if (evt == ClientTracker.HelloDeadline.EXPIRED) {
      if (user == null && !out.closing()) {
        helloTimedOut();
      }
    } else if (evt instanceof IdleStateEvent idle) {
      if (!websocket) {
        ctx.close();
      } else if (idle.isFirst()) {
        ctx.writeAndFlush(new PingWebSocketFrame());
      } else {
        log.info("closing idle WebSocket connection {} (user {}): nothing received for {} ms",
            ctx.channel().remoteAddress(), user, settings.idleTimeout.toMillis());
        out.closeWith(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "idle timeout");
      }
    } else {
      super.userEventTriggered(ctx, evt);
    }
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
    if (out.closing()) {
      return;
    }
    if (frame instanceof TextWebSocketFrame text) {
      onText(text.text());
    } else if (frame instanceof BinaryWebSocketFrame) {
      if (bucket.tryAcquire()) {
        out.sendError(ErrorCode.BAD_REQUEST.name(),
            "binary frames are not supported; send one JSON object per text frame", null);
      } else {
        out.sendError(ErrorCode.RATE_LIMITED.name(), rateLimitedMessage(), null);
      }
    }
    // ping, pong and close frames are handled by WebSocketServerProtocolHandler
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException
        || (cause instanceof CorruptedWebSocketFrameException c
            && c.closeStatus().code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code())) {
      log.info("closing WebSocket connection {} (user {}): message over {} bytes",
          ctx.channel().remoteAddress(), user, settings.maxFrameBytes);
      out.sendError(ErrorCode.TOO_LARGE.name(),
          "message larger than " + settings.maxFrameBytes + " bytes; the connection is closed", null);
      out.closeWith(WebSocketCloseStatus.MESSAGE_TOO_BIG, "message too big");
    } else if (cause instanceof CorruptedWebSocketFrameException c) {
      log.info("closing WebSocket connection {} (user {}): protocol violation: {}",
          ctx.channel().remoteAddress(), user, c.getMessage());
      out.sendError(ErrorCode.BAD_REQUEST.name(), "WebSocket protocol violation: " + c.getMessage(), null);
      out.closeWith(c.closeStatus(), "protocol violation");
    } else if (cause instanceof CorruptedFrameException) {
      out.sendError(ErrorCode.BAD_REQUEST.name(), "WebSocket protocol violation: " + cause.getMessage(), null);
      out.closeWith(WebSocketCloseStatus.PROTOCOL_ERROR, "protocol violation");
    } else if (cause instanceof IOException || cause instanceof io.netty.handler.codec.PrematureChannelClosureException) {
      // the peer went away (also in the middle of a fragmented message): nothing to tell anyone
      log.debug("connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
    } else {
      log.warn("unexpected error on WebSocket connection {} (user {}); closing it",
          ctx.channel().remoteAddress(), user, cause);
      out.closeWith(WebSocketCloseStatus.INTERNAL_SERVER_ERROR, "internal error");
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    out.closed();
    UserId u = user;
    ChatClock.Cancellable x = expiry;
    if (x != null) {
      x.cancel();
    }
    if (u != null) {
      state.userLimits.disconnect(u.value());
    }
    rooms.closed(u);
    if (u != null) {
      log.debug("user {} disconnected from node {}", u, settings.node.id());
    }
    super.channelInactive(ctx);
  }

  // ------------------------------------------------------------------ requests

  private void onText(String text) {
    JsonNode request;
    try {
      request = Frames.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      countRequest();
      state.counters.frameIn("invalid");
      out.sendError(ErrorCode.BAD_REQUEST.name(), "malformed JSON: " + e.getOriginalMessage(), null);
      return;
    }
    if (request == null || !request.isObject()) {
      countRequest();
      state.counters.frameIn("invalid");
      out.sendError(ErrorCode.BAD_REQUEST.name(), "a frame must be one JSON object with a \"type\"", null);
      return;
    }
    JsonNode id = request.get("id");
    if (id != null && !validId(id)) {
      countRequest();
      state.counters.frameIn("invalid");
      out.sendError(ErrorCode.BAD_REQUEST.name(),
          "field 'id' must be a string of at most " + MAX_ID_LENGTH
              + " characters without control characters, or an integer", null);
      return;
    }
    if (!bucket.tryAcquire()) {
      out.sendError(ErrorCode.RATE_LIMITED.name(), rateLimitedMessage(), id);
      return;
    }
    if (user != null && !state.userLimits.tryRequest(user.value())) {
      out.sendError(ErrorCode.RATE_LIMITED.name(), state.userLimits.rateLimitedMessage(), id);
      return;
    }
    try {
      JsonNode typeNode = request.get("type");
      if (typeNode == null || !typeNode.isTextual()) {
        state.counters.frameIn("invalid");
        throw bad("field 'type' is required (a string, one of: " + TYPES + ")");
      }
      String type = typeNode.asText();
      state.counters.frameIn(type);
      if (user == null && !type.equals("hello")) {
        throw new ChatException(ErrorCode.UNAUTHORIZED, "send {\"type\":\"hello\",\"user\":NAME} first");
      }
      switch (type) {
        case "hello" -> hello(request, id);
        case "rooms" -> out.send(RoomsPage.reply(settings.node.rooms(), request, settings.limits.roomsPageSize(), id));
        case "create" -> rooms.create(request, id);
        case "join" -> rooms.join(request, id);
        case "leave" -> rooms.leave(request, id);
        case "send" -> rooms.send(request, id);
        case "delete" -> rooms.delete(request, id);
        case "invite" -> rooms.invite(request, id, true);
        case "uninvite" -> rooms.invite(request, id, false);
        case "history" -> rooms.history(request, id);
        default -> throw bad("unknown type '" + truncate(type) + "'; expected one of: " + TYPES);
      }
    } catch (ChatException e) {
      out.sendError(e.code().name(), e.detail(), id);
    } catch (RuntimeException e) {
      log.warn("request failed unexpectedly on node {} (user {})", settings.node.id(), user, e);
      out.sendError(ErrorCode.INTERNAL.name(), "internal error: " + e, id);
    }
  }

  private void helloTimedOut() {
    log.info("closing connection {}: no hello within {} ms", out.channel().remoteAddress(), settings.limits.helloTimeout().toMillis());
    if (!websocket) {
      out.context().close();
      return;
    }
    out.sendError(ErrorCode.TIMEOUT.name(), "no hello within " + settings.limits.helloTimeout().toMillis()
        + " ms (helloTimeout); the connection is closed", null);
    out.closeWith(WebSocketCloseStatus.POLICY_VIOLATION, "hello timeout");
  }

  /** A request that fails before its type is known still uses up a token. */
  private void countRequest() {
    bucket.tryAcquire();
  }

  private String rateLimitedMessage() {
    return "more than " + settings.maxRequestsPerSecond + " requests per second; slow down";
  }

  private void hello(JsonNode request, @Nullable JsonNode id) {
    String name = optionalString(request, "user");
    UserId requested = name == null ? null : UserId.of(name);
    if (user != null) {
      throw bad("already signed in as '" + user + "'; open a new connection for another user");
    }
    String token = optionalString(request, "token");
    Authentication auth;
    try {
      auth = settings.authenticator.authenticate(requested, token);
    } catch (ChatException e) {
      refuse(requested, e.code() == ErrorCode.UNAUTHORIZED ? e.detail() : e.code() + ": " + e.detail(), id);
      return;
    } catch (RuntimeException e) {
      log.warn("authenticator failed for user {}; refusing", requested, e);
      refuse(requested, "authentication failed", id);
      return;
    }
    long now = settings.clock.millis();
    Instant expires = auth.expiresAt();
    if (expires != null && expires.toEpochMilli() <= now) {
      refuse(auth.user(), "token expired", id);
      return;
    }
    UserId u = auth.user();
    try {
      state.userLimits.connect(u.value()); // connections per user (maxConnectionsPerUser)
    } catch (ChatException e) {
      out.sendError(e.code().name(), e.detail(), id);
      out.closeWith(WebSocketCloseStatus.POLICY_VIOLATION, "too many connections");
      return;
    }
    user = u;
    if (expires != null) {
      expiry = settings.clock.schedule(
          Duration.ofMillis(expires.toEpochMilli() - now), () -> out.onLoop(this::expired));
    }
    out.send(Frames.welcome(settings.node.id().value(), u.value(), id));
  }

  private void refuse(@Nullable UserId requested, String why, @Nullable JsonNode id) {
    log.info("refused user {} from {}: {}", requested, out.channel().remoteAddress(), truncate(why));
    out.sendError(ErrorCode.UNAUTHORIZED.name(), why, id);
    out.closeWith(WebSocketCloseStatus.POLICY_VIOLATION, "unauthorized");
  }

  /** The credential of this connection ran out: tell the client and end the connection. */
  private void expired() {
    if (out.closing()) {
      return;
    }
    log.info("user {} on {}: token expired, closing the connection", user, out.channel().remoteAddress());
    out.sendError(ErrorCode.UNAUTHORIZED.name(), "token expired", null);
    out.closeWith(WebSocketCloseStatus.POLICY_VIOLATION, "token expired");
  }
}
