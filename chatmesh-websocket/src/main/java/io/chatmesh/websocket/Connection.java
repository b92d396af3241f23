package io.chatmesh.websocket;

import static io.chatmesh.websocket.RequestFields.MAX_ID_LENGTH;
import static io.chatmesh.websocket.RequestFields.bad;
import static io.chatmesh.websocket.RequestFields.joinOptions;
import static io.chatmesh.websocket.RequestFields.optionalLong;
import static io.chatmesh.websocket.RequestFields.optionalString;
import static io.chatmesh.websocket.RequestFields.requiredString;
import static io.chatmesh.websocket.RequestFields.truncate;
import static io.chatmesh.websocket.RequestFields.validId;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.JoinOptions;
import io.chatmesh.Joined;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.RoomListener;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: parses requests, maps them onto the {@link io.chatmesh.ChatNode} and turns
 * room events into frames. All mutable state is confined to the channel's event loop: inbound
 * frames arrive there, and future completions and room events are handed to it with {@link
 * Outbound#onLoop}. Everything sent to the client goes through its {@link Outbound}, which bounds
 * what is waiting so that a slow reader is disconnected instead of growing memory.
 */
final class Connection extends SimpleChannelInboundHandler<WebSocketFrame> {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);
  static final String TYPES = "hello, rooms, create, join, leave, send, delete, invite, uninvite, history";

  private final GatewaySettings settings;
  private final GatewayState state;
  private final TokenBucket bucket;
  private final Outbound out;
  // --- event-loop confined ---
  private boolean websocket;
  private boolean inactive;
  private @Nullable UserId user;
  /** Ends the connection when its credential expires; null without one. */
  private ChatClock.@Nullable Cancellable expiry;
  private final Map<String, Membership> rooms = new HashMap<>();

  Connection(GatewaySettings settings, GatewayState state) {
    this.settings = settings;
    this.state = state;
    this.bucket = new TokenBucket(settings.maxRequestsPerSecond, settings.nanoTime);
    this.out = new Outbound(settings, state, () -> user);
  }

  /** A room this connection joined (or is joining). */
  private final class Membership {
    final Room room;
    /** This connection's listener in the user's shared membership of the room ({@link SharedJoins}). */
    final RoomListener listener = event -> onRoomEvent(this, event);
    boolean joining = true;
    /** Seq of this membership's own join; events below it are history the client asked for. */
    long joinedSeq = Long.MAX_VALUE;
    /** Events that arrived before the {@code joined} reply went out; sent right after it. */
    final List<RoomEvent> early = new ArrayList<>();

    Membership(Room room) {
      this.room = room;
    }
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
    inactive = true;
    out.closed();
    UserId u = user;
    ChatClock.Cancellable x = expiry;
    if (x != null) {
      x.cancel();
    }
    if (u != null) {
      state.removeUser(u.value(), this);
      state.userLimits.disconnect(u.value());
      for (Membership m : rooms.values()) {
        if (!m.joining) {
          leaveQuietly(m, u);
        }
        // a join still in flight is left when it completes (see join)
      }
      log.debug("user {} disconnected from node {}", u, settings.node.id());
    }
    rooms.clear();
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
        case "create" -> create(request, id);
        case "join" -> join(request, id);
        case "leave" -> leave(request, id);
        case "send" -> sendMessage(request, id);
        case "delete" -> delete(request, id);
        case "invite" -> invite(request, id, true);
        case "uninvite" -> invite(request, id, false);
        case "history" -> history(request, id);
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
    state.addUser(u.value(), this);
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

  private void create(JsonNode request, @Nullable JsonNode id) {
    String name = requiredString(request, "room");
    JsonNode priv = request.get("private");
    if (priv != null && !priv.isNull() && !priv.isBoolean()) {
      throw bad("field 'private' must be true or false");
    }
    boolean isPrivate = priv != null && priv.asBoolean(false);
    UserId owner = currentUser();
    String u = owner.value();
    state.userLimits.reserveRoom(u, name, r -> settings.node.room(r).isPresent());
    CompletableFuture<Room> f = settings.node.createRoom(name, owner, isPrivate);
    f.whenComplete((room, failure) -> state.userLimits.createDone(u, name, failure == null));
    reply(f, id,
        (room, x) -> out.send(Frames.created(room.name(), room.admin().value(), owner.value(), isPrivate, id)));
  }

  private void join(JsonNode request, @Nullable JsonNode id) {
    String name = requiredString(request, "room");
    JoinOptions options = joinOptions(request, settings.limits.maxJoinHistory());
    Room room = room(name);
    if (rooms.containsKey(room.name())) {
      throw new ChatException(ErrorCode.ALREADY_MEMBER, "already joined room '" + room.name() + "'");
    }
    UserId u = currentUser();
    Membership m = new Membership(room);
    rooms.put(room.name(), m);
    CompletableFuture<Joined> f;
    try {
      f = state.joins.join(room, u, options, m.listener);
    } catch (RuntimeException e) {
      rooms.remove(room.name(), m);
      throw e;
    }
    whenDone(f, () -> leaveQuietly(m, u), (joined, failure) -> {
      if (failure != null) {
        rooms.remove(room.name(), m);
        ChatException ce = ChatException.from(failure);
        out.sendError(ce.code().name(), ce.detail(), id);
        return;
      }
      if (inactive) {
        leaveQuietly(m, u); // the connection closed while the join was in flight
        return;
      }
      if (rooms.get(room.name()) != m) {
        return; // deleted or removed while joining; that frame already went out
      }
      out.send(Frames.joined(joined, id));
      m.joining = false;
      m.joinedSeq = joined.seq();
      List<RoomEvent> early = new ArrayList<>(m.early);
      m.early.clear();
      for (RoomEvent e : early) {
        deliver(m, e);
      }
    });
  }

  private void history(JsonNode request, @Nullable JsonNode id) {
    String name = requiredString(request, "room");
    Long before = optionalLong(request, "before", 1);
    Long limit = optionalLong(request, "limit", 1);
    if (limit != null && limit > 1000) {
      throw bad("field 'limit' must be 1..1000");
    }
    Room room = room(name);
    reply(room.history(before == null ? Long.MAX_VALUE : before, limit == null ? 50 : limit.intValue()), id,
        (messages, x) -> out.send(Frames.history(room.name(), messages, id)));
  }

  private void leave(JsonNode request, @Nullable JsonNode id) {
    String name = requiredString(request, "room");
    Room room = room(name);
    Membership m = rooms.get(room.name());
    if (m != null && m.joining) {
      throw bad("the join of room '" + room.name() + "' is still in progress; leave after 'joined'");
    }
    UserId u = currentUser();
    if (m == null) {
      // the user may be in the room through another connection: that one stays
      throw new ChatException(ErrorCode.NOT_MEMBER, "this connection has not joined room '" + room.name() + "'");
    }
    reply(state.joins.leave(room, u, m.listener), id, (v, x) -> {
      rooms.remove(room.name());
      out.send(Frames.left(room.name(), id));
    });
  }

  private void sendMessage(JsonNode request, @Nullable JsonNode id) {
    String name = requiredString(request, "room");
    JsonNode textNode = request.get("text");
    if (textNode == null || !textNode.isTextual()) {
      throw bad("field 'text' is required (a string)");
    }
    InputRules.checkText("text", textNode.asText());
    Room room = room(name);
    state.roomRates.acquire(room.name());
    String clientId = id == null ? null : id.asText();
    reply(room.send(currentUser(), textNode.asText(), clientId), id, (sent, x) -> out.send(Frames.ack(sent, id)));
  }

  private void delete(JsonNode request, @Nullable JsonNode id) {
    String name = requiredString(request, "room");
    Room room = room(name);
    reply(room.delete(currentUser()), id, (v, x) -> {
      rooms.remove(room.name());
      out.send(Frames.deleted(room.name(), null, id));
    });
  }

  /** The room's owner invites a user (or withdraws the invitation); the admin checks ownership. */
  private void invite(JsonNode request, @Nullable JsonNode id, boolean invite) {
    String name = requiredString(request, "room");
    UserId who = UserId.of(requiredString(request, "user"));
    Room room = room(name);
    UserId me = currentUser();
    reply(invite ? room.invite(me, who) : room.uninvite(me, who), id,
        (v, x) -> out.send(Frames.invited(invite ? "invited" : "uninvited", room.name(), who.value(), id)));
  }

  // ------------------------------------------------------------------ room events

  /** Called on a chatmesh thread for every event of a room this connection joined. */
  private void onRoomEvent(Membership m, RoomEvent event) {
    out.offer(event, () -> {
      if (rooms.get(m.room.name()) != m) {
        return;
      }
      if (m.joining) {
        m.early.add(event);
      } else {
        deliver(m, event);
      }
    });
  }

  private void deliver(Membership m, RoomEvent event) {
    out.send(Frames.event(event));
    // the user's own removal ends the membership, but not an old one replayed as history on a
    // resume (e.g. the NODE_FAILED of the node the client used before); REMOVED is not sequenced (0)
    boolean gone =
        event instanceof RoomEvent.RoomDeleted
            || (event instanceof RoomEvent.MemberLeft l
                && l.user().equals(user)
                && l.reason() != RoomEvent.LeaveReason.LEFT
                && (l.seq() == 0 || l.seq() >= m.joinedSeq));
    if (gone) {
      rooms.remove(m.room.name(), m);
    }
  }

  // ------------------------------------------------------------------ helpers

  private Room room(String name) {
    Optional<Room> r = settings.node.room(name);
    if (r.isEmpty()) {
      throw new ChatException(ErrorCode.UNKNOWN_ROOM, "no room '" + truncate(name) + "' in the cluster");
    }
    return r.get();
  }

  private UserId currentUser() {
    UserId u = user;
    if (u == null) {
      throw new ChatException(ErrorCode.UNAUTHORIZED, "send hello first");
    }
    return u;
  }

  private <T> void reply(CompletableFuture<T> future, @Nullable JsonNode id, BiConsumer<T, Void> onSuccess) {
    whenDone(future, (value, failure) -> {
      if (failure != null) {
        ChatException ce = ChatException.from(failure);
        out.sendError(ce.code().name(), ce.detail(), id);
      } else {
        onSuccess.accept(value, null);
      }
    });
  }

  /** Runs {@code action} on the event loop when {@code future} completes. */
  private <T> void whenDone(CompletableFuture<T> future, BiConsumer<@Nullable T, @Nullable Throwable> action) {
    whenDone(future, () -> { }, action);
  }

  /** Like {@link #whenDone(CompletableFuture, BiConsumer)}; {@code ifLoopGone} runs after a success the loop can no longer take. */
  private <T> void whenDone(CompletableFuture<T> future, Runnable ifLoopGone, BiConsumer<@Nullable T, @Nullable Throwable> action) {
    future.whenComplete((v, t) -> {
      if (!out.onLoop(() -> action.accept(v, t)) && t == null) {
        ifLoopGone.run(); // event loop gone (gateway closed) after a join succeeded: no ghost member
      }
    });
  }

  private void leaveQuietly(Membership m, UserId u) {
    state.joins.leave(m.room, u, m.listener).whenComplete((v, t) -> {
      if (t != null) {
        log.debug("could not leave room {} for disconnected user {}: {}", m.room.name(), u, t.toString());
      }
    });
  }
}
