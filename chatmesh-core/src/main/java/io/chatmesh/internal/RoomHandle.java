package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ChatMessage;
import io.chatmesh.ErrorCode;
import io.chatmesh.JoinOptions;
import io.chatmesh.Joined;
import io.chatmesh.NodeId;
import io.chatmesh.Room;
import io.chatmesh.RoomInfo;
import io.chatmesh.RoomListener;
import io.chatmesh.RoomSummary;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.wire.HistoryRequest;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/** The {@link Room} handle: validates arguments, then runs the operation on the room's lane. */
final class RoomHandle implements Room {
  private final NodeEngine engine;
  private final String name;
  private final NodeId admin;

  RoomHandle(NodeEngine engine, String name, NodeId admin) {
    this.engine = engine;
    this.name = name;
    this.admin = admin;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public NodeId admin() {
    RoomSummary s = engine.directory.get(name);
    return s != null && engine.settings.failover() != null ? s.admin() : admin; // with failover it moves
  }

  @Override
  public CompletableFuture<Joined> join(UserId user, RoomListener listener, JoinOptions options) {
    CompletableFuture<Joined> out = new CompletableFuture<>();
    if (require(user, "user", out) && require(listener, "listener", out) && require(options, "options", out)) {
      onLane(out, (rs, f) -> rs.join(user, listener, options, f));
    }
    return out;
  }

  @Override
  public CompletableFuture<List<ChatMessage>> history(long beforeSeq, int limit) {
    CompletableFuture<List<ChatMessage>> out = new CompletableFuture<>();
    if (beforeSeq < 1) {
      out.completeExceptionally(new ChatException(ErrorCode.BAD_REQUEST, "before must be at least 1, was " + beforeSeq));
    } else if (limit < 1 || limit > HistoryRequest.MAX_LIMIT) {
      out.completeExceptionally(
          new ChatException(ErrorCode.BAD_REQUEST, "limit must be 1.." + HistoryRequest.MAX_LIMIT + ", was " + limit));
    } else {
      onLane(out, (rs, f) -> rs.history(beforeSeq, limit, f));
    }
    return out;
  }

  @Override
  public CompletableFuture<Void> leave(UserId user) {
    CompletableFuture<Void> out = new CompletableFuture<>();
    if (require(user, "user", out)) {
      onLane(out, (rs, f) -> rs.leave(user, f));
    }
    return out;
  }

  @Override
  public CompletableFuture<Sent> send(UserId user, String text) {
    return send(user, text, null);
  }

  @Override
  public CompletableFuture<Sent> send(UserId user, String text, @Nullable String clientMessageId) {
    CompletableFuture<Sent> out = new CompletableFuture<>();
    if (!require(user, "user", out) || !require(text, "text", out)) {
      return out;
    }
    if (text.isBlank()) {
      out.completeExceptionally(new ChatException(ErrorCode.BAD_REQUEST, "text must not be blank"));
      return out;
    }
    int max = engine.settings.maxTextLength();
    if (text.length() > max) {
      out.completeExceptionally(
          new ChatException(ErrorCode.TOO_LARGE, "text is " + text.length() + " characters long; at most " + max + " are allowed"));
      return out;
    }
    if (clientMessageId != null && (clientMessageId.isEmpty() || clientMessageId.length() > 128)) {
      out.completeExceptionally(
          new ChatException(ErrorCode.BAD_REQUEST, "client message id must be 1 to 128 characters long"));
      return out;
    }
    onLane(out, (rs, f) -> rs.send(user, text, clientMessageId, f));
    return out;
  }

  @Override
  public CompletableFuture<RoomInfo> info() {
    CompletableFuture<RoomInfo> out = new CompletableFuture<>();
    onLane(out, RoomState::info);
    return out;
  }

  @Override
  public CompletableFuture<Void> delete() {
    CompletableFuture<Void> out = new CompletableFuture<>();
    onLane(out, (rs, f) -> rs.delete(null, f));
    return out;
  }

  @Override
  public CompletableFuture<Void> delete(UserId by) {
    CompletableFuture<Void> out = new CompletableFuture<>();
    if (require(by, "by", out)) {
      onLane(out, (rs, f) -> rs.delete(by, f));
    }
    return out;
  }

  @Override
  public CompletableFuture<Void> moveTo(NodeId node) {
    CompletableFuture<Void> out = new CompletableFuture<>();
    if (require(node, "node", out)) {
      onLane(out, (rs, f) -> rs.moveTo(node, f));
    }
    return out;
  }

  @Override
  public CompletableFuture<Void> invite(UserId by, UserId user) {
    return invitation(by, user, true);
  }

  @Override
  public CompletableFuture<Void> uninvite(UserId by, UserId user) {
    return invitation(by, user, false);
  }

  private CompletableFuture<Void> invitation(UserId by, UserId user, boolean invite) {
    CompletableFuture<Void> out = new CompletableFuture<>();
    if (require(by, "by", out) && require(user, "user", out)) {
      onLane(out, (rs, f) -> rs.invite(by, user, invite, f));
    }
    return out;
  }

  /**
   * Runs {@code op} on the lane of the room's current local state, creating it if needed. A state
   * dropped (forgotten) between lookup and execution is looked up again, so an operation never
   * lands on an orphan.
   */
  private <T> void onLane(CompletableFuture<T> out, BiConsumer<RoomState, CompletableFuture<T>> op) {
    try {
      engine.requireRunning();
    } catch (ChatException e) {
      out.completeExceptionally(e);
      return;
    }
    RoomSummary s = engine.directory.get(name);
    RoomState existing = engine.rooms.get(name);
    if (existing == null && (s == null || (!s.admin().equals(admin) && engine.settings.failover() == null))) {
      out.completeExceptionally(new ChatException(ErrorCode.UNKNOWN_ROOM, "room '" + name + "' does not exist"));
      return;
    }
    RoomState rs = existing != null ? existing : engine.roomState(name, s.admin(), s.epoch());
    rs.lane.execute(() -> {
      if (engine.rooms.get(name) != rs) {
        onLane(out, op);
        return;
      }
      try {
        op.accept(rs, out);
      } catch (RuntimeException e) {
        out.completeExceptionally(ChatException.from(e));
      }
      rs.maybeForget(); // an operation refused on a node without members leaves nothing behind
    });
  }

  private static <T> boolean require(@Nullable Object value, String what, CompletableFuture<T> out) {
    if (value == null) {
      out.completeExceptionally(new ChatException(ErrorCode.BAD_REQUEST, what + " must not be null"));
      return false;
    }
    return true;
  }

  @Override
  public String toString() {
    return "Room[" + name + " admin " + admin + "]";
  }
}
