package io.chatmesh.nemesis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatmesh.ChatMessage;
import io.chatmesh.ErrorCode;
import io.chatmesh.RoomEvent;
import io.chatmesh.UserId;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * One user's WebSocket connection to one demo node, recording into a nemesis {@link History}: the
 * outcome of each request (in the order the replies arrive, before any later frame is read) and
 * every event of the room its current {@link History.Session} joined, converted to the core's
 * {@link RoomEvent}s. A request not answered within {@link #TIMEOUT} fails TIMEOUT; a closed
 * connection fails what is pending UNAVAILABLE (both: the effect may still have happened).
 * Thread-safe.
 */
final class WsConnection implements WebSocket.Listener {
  static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();
  final String node;
  final String user;
  private final History history;
  private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final AtomicInteger ids = new AtomicInteger();
  private final StringBuilder partial = new StringBuilder();
  private volatile @Nullable WebSocket ws;
  /** The membership this connection holds (or is asking for); its room's events go there. */
  volatile History.@Nullable Session session;
  /** The current session was told it is no longer a member (its own live leave, or RoomDeleted). */
  volatile boolean toldGone;
  volatile boolean closed;

  private WsConnection(String node, String user, History history) {
    this.node = node;
    this.user = user;
    this.history = history;
  }

  /** Connects to {@code ws://127.0.0.1:port/ws} and says hello as {@code user}. */
  static WsConnection open(History history, String node, int port, String user) throws Exception {
    WsConnection c = new WsConnection(node, user, history);
    c.ws = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(TIMEOUT)
        .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), c).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    JsonNode w = c.request(c.frame("hello").put("user", user), null, null).get(TIMEOUT.toSeconds() + 1, TimeUnit.SECONDS);
    if (!"welcome".equals(w.path("type").asText())) {
      c.abort();
      throw new IllegalStateException("hello refused by " + node + ": " + w);
    }
    return c;
  }

  /**
   * The connection of {@code user} to {@code node} kept in {@code cache}, opened again if there is
   * none or it was closed.
   */
  static WsConnection cached(Map<String, WsConnection> cache, History history, String node, int port, String user) throws Exception {
    WsConnection c = cache.get(node);
    if (c == null || c.closed) {
      c = open(history, node, port, user);
      cache.put(node, c);
    }
    return c;
  }

  ObjectNode frame(String type) {
    return JSON.createObjectNode().put("type", type);
  }

  /**
   * Sends {@code frame} with {@code id} (a fresh one when null) and returns its reply; {@code
   * record} runs with the reply or the failure before the next frame is read.
   */
  CompletableFuture<JsonNode> request(
      ObjectNode frame, @Nullable String id, @Nullable BiConsumer<@Nullable JsonNode, @Nullable Throwable> record) {
    String rid = id != null ? id : "q" + ids.incrementAndGet();
    CompletableFuture<JsonNode> f = new CompletableFuture<>();
    // what the caller waits for completes only after the recording ran
    CompletableFuture<JsonNode> recorded = record == null ? f : f.whenComplete(record::accept);
    pending.put(rid, f);
    f.whenComplete((r, e) -> pending.remove(rid, f));
    f.orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    WebSocket w = ws;
    if (closed || w == null) {
      f.completeExceptionally(new IllegalStateException("connection closed"));
      return recorded;
    }
    w.sendText(frame.put("id", rid).toString(), true).whenComplete((x, e) -> {
      if (e != null) {
        f.completeExceptionally(e);
      }
    });
    return recorded;
  }

  /** Records the outcome of {@code op}: {@code reply}, or else {@code error} (TIMEOUT, or UNAVAILABLE). */
  void complete(History.Op op, @Nullable JsonNode reply, @Nullable Throwable error) {
    if (history.frozen || op.outcome != History.Outcome.PENDING) {
      return;
    }
    if (reply == null) {
      op.code = error instanceof TimeoutException ? ErrorCode.TIMEOUT : ErrorCode.UNAVAILABLE;
      op.outcome = History.Outcome.FAILED;
    } else if ("error".equals(reply.path("type").asText())) {
      op.code = ErrorCode.valueOf(reply.path("code").asText());
      op.outcome = History.Outcome.FAILED;
    } else {
      op.epoch = reply.path("epoch").asLong();
      op.seq = reply.path("seq").asLong();
      op.duplicate = reply.path("duplicate").asBoolean();
      op.recovered = reply.path("recovered").asBoolean(true);
      List<UserId> members = new ArrayList<>();
      reply.path("members").forEach(m -> members.add(UserId.of(m.asText())));
      op.members = List.copyOf(members);
      List<ChatMessage> page = new ArrayList<>();
      reply.path("messages").forEach(m -> page.add((ChatMessage) event(m, "message")));
      op.page = List.copyOf(page);
      op.outcome = History.Outcome.OK;
    }
    op.completedTick = history.tick();
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    webSocket.request(1);
  }

  @Override
  public @Nullable CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
    partial.append(data);
    if (last) {
      String text = partial.toString();
      partial.setLength(0);
      try {
        received(JSON.readTree(text));
      } catch (Exception e) {
        throw new IllegalStateException("bad frame from " + node + ": " + text, e);
      }
    }
    w.request(1);
    return null;
  }

  private void received(JsonNode n) {
    String type = n.path("type").asText();
    String id = n.hasNonNull("id") ? n.get("id").asText() : null;
    boolean event = switch (type) {
      case "message", "member_joined", "member_left", "unavailable", "available", "lost" -> true;
      case "deleted" -> id == null || !pending.containsKey(id);
      default -> false;
    };
    if (!event) {
      CompletableFuture<JsonNode> f = id == null ? null : pending.get(id);
      if (f != null) {
        f.complete(n);
      }
      return;
    }
    History.Session s = session;
    if (s == null || !s.join.room.equals(n.path("room").asText())) {
      return;
    }
    RoomEvent e = event(n, type);
    s.onEvent(e);
    if (e instanceof RoomEvent.RoomDeleted
        || e instanceof RoomEvent.MemberLeft l && l.user().value().equals(user) && (l.seq() == 0 || l.seq() >= s.join.seq)) {
      toldGone = true;
    }
  }

  /** The core event a protocol event frame stands for. */
  static RoomEvent event(JsonNode n, String type) {
    String room = n.path("room").asText();
    long epoch = n.path("epoch").asLong();
    long seq = n.path("seq").asLong();
    long ts = n.path("ts").asLong();
    return switch (type) {
      case "message" -> new ChatMessage(room, epoch, seq, UserId.of(n.path("user").asText()), n.path("text").asText(),
          n.hasNonNull("id") ? n.get("id").asText() : null, ts);
      case "member_joined" -> new RoomEvent.MemberJoined(room, epoch, seq, UserId.of(n.path("user").asText()), ts);
      case "member_left" -> new RoomEvent.MemberLeft(room, epoch, seq, UserId.of(n.path("user").asText()),
          RoomEvent.LeaveReason.valueOf(n.path("reason").asText()), ts);
      case "unavailable" -> new RoomEvent.RoomUnavailable(room, n.path("reason").asText());
      case "available" -> new RoomEvent.RoomAvailable(room, io.chatmesh.NodeId.of(n.path("admin").asText("unknown")), n.path("epoch").asLong());
      case "deleted" -> new RoomEvent.RoomDeleted(room, n.path("reason").asText());
      case "lost" -> new RoomEvent.MessagesLost(room, epoch, n.path("from").asLong(), n.path("to").asLong());
      default -> throw new IllegalArgumentException("not an event: " + n);
    };
  }

  @Override
  public @Nullable CompletionStage<?> onClose(WebSocket w, int status, String reason) {
    lost();
    return null;
  }

  @Override
  public void onError(WebSocket w, Throwable error) {
    lost();
  }

  private void lost() {
    closed = true;
    for (CompletableFuture<JsonNode> f : List.copyOf(pending.values())) {
      f.completeExceptionally(new IllegalStateException("connection to " + node + " lost"));
    }
  }

  /** Drops the connection at once (the gateway sees it closed; its memberships end there). */
  void abort() {
    WebSocket w = ws;
    if (w != null) {
      w.abort();
    }
    lost();
  }
}
