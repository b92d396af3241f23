package io.chatmesh.websocket;

import static io.chatmesh.websocket.RequestFields.bad;
import static io.chatmesh.websocket.RequestFields.joinOptions;
import static io.chatmesh.websocket.RequestFields.optionalLong;
import static io.chatmesh.websocket.RequestFields.requiredString;
import static io.chatmesh.websocket.RequestFields.truncate;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.JoinOptions;
import io.chatmesh.Joined;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.RoomListener;
import io.chatmesh.UserId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rooms of one connection: the room requests of a signed-in client ({@code create}, {@code
 * join}, {@code leave}, {@code send}, {@code delete}, {@code invite}, {@code uninvite}, {@code
 * history}) mapped onto the node, and the events of the rooms it joined turned into frames. A
 * joining room holds back its events until the {@code joined} reply went out; the user's own
 * removal or the room's deletion ends the membership; when the connection closes it leaves every
 * room it joined (through {@link SharedJoins}, so the user stays a member while another of its
 * connections is in the room), and a join still in flight is left when it completes.
 *
 * <p>Confined to the connection's event loop: requests arrive there, and node futures and room
 * events (on chatmesh threads) are handed to it through {@link Outbound}.
 */
final class ConnectionRooms {
  /** Logs as the connection it belongs to. */
  private static final Logger log = LoggerFactory.getLogger(Connection.class);

  private final GatewaySettings settings;
  private final GatewayState state;
  private final Outbound out;
  /** The signed-in user; never null by the time a room request arrives. */
  private final Supplier<@Nullable UserId> user;
  private final Map<String, Membership> rooms = new HashMap<>();
  /** Set when the connection closed; a join completing after that is left again. */
  private boolean inactive;

  ConnectionRooms(GatewaySettings settings, GatewayState state, Outbound out, Supplier<@Nullable UserId> user) {
    this.settings = settings;
    this.state = state;
    this.out = out;
    this.user = user;
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

  void create(JsonNode request, @Nullable JsonNode id) {
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

  void join(JsonNode request, @Nullable JsonNode id) {
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

  void history(JsonNode request, @Nullable JsonNode id) {
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

  void leave(JsonNode request, @Nullable JsonNode id) {
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

  void send(JsonNode request, @Nullable JsonNode id) {
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

  void delete(JsonNode request, @Nullable JsonNode id) {
    String name = requiredString(request, "room");
    Room room = room(name);
    reply(room.delete(currentUser()), id, (v, x) -> {
      rooms.remove(room.name());
      out.send(Frames.deleted(room.name(), null, id));
    });
  }

  /** The room's owner invites a user (or withdraws the invitation); the admin checks ownership. */
  void invite(JsonNode request, @Nullable JsonNode id, boolean invite) {
    String name = requiredString(request, "room");
    UserId who = UserId.of(requiredString(request, "user"));
    Room room = room(name);
    UserId me = currentUser();
    reply(invite ? room.invite(me, who) : room.uninvite(me, who), id,
        (v, x) -> out.send(Frames.invited(invite ? "invited" : "uninvited", room.name(), who.value(), id)));
  }

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
                && l.user().equals(user.get())
                && l.reason() != RoomEvent.LeaveReason.LEFT
                && (l.seq() == 0 || l.seq() >= m.joinedSeq));
    if (gone) {
      rooms.remove(m.room.name(), m);
    }
  }

  private Room room(String name) {
    Optional<Room> r = settings.node.room(name);
    if (r.isEmpty()) {
      throw new ChatException(ErrorCode.UNKNOWN_ROOM, "no room '" + truncate(name) + "' in the cluster");
    }
    return r.get();
  }

  private UserId currentUser() {
    UserId u = user.get();
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

  /**
   * The connection closed: leaves every room it joined as {@code u} (null if it never signed in);
   * a join still in flight is left when it completes (see {@link #join}).
   */
  void closed(@Nullable UserId u) {
    inactive = true;
    if (u != null) {
      for (Membership m : rooms.values()) {
        if (!m.joining) {
          leaveQuietly(m, u);
        }
      }
    }
    rooms.clear();
  }
}
