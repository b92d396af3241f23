package io.chatmesh.internal;

import io.chatmesh.spi.transport.PeerText;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.RoomGone;
import io.chatmesh.wire.WireMessage;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes each incoming {@link WireMessage} to its handler on the lane that owns the state it
 * touches. The table (message type to lane and handler) is built once by {@link Builder}; {@link
 * #dispatch} is the one place where a message hops onto a lane.
 *
 * <p>Threads: {@link #dispatch} runs on transport threads (or inline for messages a node sends
 * itself); the table is immutable, so the router is thread-safe.
 */
final class MessageRouter {

  /** Where a message's handler runs. */
  enum Lane {
    /** On the receiving thread, at once: the handler must be thread-safe and must not block. */
    TRANSPORT,
    /** On the node lane (membership, directory, two-phase commit). */
    NODE,
    /** On the lane of a room this node administers; answered with UNKNOWN_ROOM if there is none. */
    ADMIN_ROOM,
    /**
     * On the lane of a room with local state here; dropped if there is none, or if the sender is not
     * the room's admin as this node knows it (logged).
     */
    MEMBER_ROOM
  }

  /** Handles a message on the transport thread or the node lane. */
  @FunctionalInterface
  interface Handler<M> {
    void handle(NodeId from, long incarnation, M message);
  }

  /** Handles a message on a room's lane. */
  @FunctionalInterface
  interface RoomHandler<M> {
    void handle(RoomState room, NodeId from, M message);
  }

  private record Route(
      Lane lane,
      Function<WireMessage, String> room,
      ToLongFunction<WireMessage> requestId,
      Handler<WireMessage> handler,
      RoomHandler<WireMessage> roomHandler) {}

  private static final Logger log = LoggerFactory.getLogger(MessageRouter.class);
  private final PeerText.Limited refusals = new PeerText.Limited(log, 10_000);
  private final NodeId self;
  private final SerialExecutor nodeLane;
  private final Function<String, @Nullable RoomState> rooms;
  private final BiConsumer<NodeId, WireMessage> send;
  private final Map<Class<?>, Route> routes;

  private MessageRouter(Builder b) {
    this.self = b.self;
    this.nodeLane = b.nodeLane;
    this.rooms = b.rooms;
    this.send = b.send;
    this.routes = Map.copyOf(b.routes);
  }

  /**
   * A builder for the router of node {@code self}: {@code rooms} finds a room's local state, {@code
   * send} answers requests for rooms this node does not administer.
   */
  static Builder builder(
      NodeId self,
      SerialExecutor nodeLane,
      Function<String, @Nullable RoomState> rooms,
      BiConsumer<NodeId, WireMessage> send) {
    return new Builder(self, nodeLane, rooms, send);
  }

  /** The lane that handles {@code type}, or empty if no handler is registered for it. */
  Optional<Lane> laneOf(Class<? extends WireMessage> type) {
    Route r = routes.get(type);
    return r == null ? Optional.empty() : Optional.of(r.lane());
  }

  /** Runs the handler for {@code e}'s message on its lane. */
  void dispatch(Envelope e) {
    WireMessage m = e.message();
    Route r = routes.get(m.getClass());
    if (r == null) {
      throw new IllegalStateException("no handler for " + m.getClass().getName());
    }
    NodeId from = e.from();
    switch (r.lane()) {
      case TRANSPORT -> r.handler().handle(from, e.incarnation(), m);
      case NODE -> nodeLane.execute(() -> r.handler().handle(from, e.incarnation(), m));
      case MEMBER_ROOM -> {
        RoomState rs = rooms.apply(r.room().apply(m));
        if (rs == null) {
          return;
        }
        if (!from.equals(rs.admin)) {
          // only the room's admin (as this node knows it) speaks for the room's log
          refusals.warn(from + "/" + m.getClass().getSimpleName(),
              "node " + self + " refuses a " + m.getClass().getSimpleName() + " for room '" + PeerText.safe(rs.name)
                  + "' from node " + PeerText.safe(from.value()) + ": the room's admin is " + rs.admin);
          return;
        }
        rs.lane.execute(() -> r.roomHandler().handle(rs, from, m));
      }
      case ADMIN_ROOM -> {
        String room = r.room().apply(m);
        long requestId = r.requestId().applyAsLong(m);
        RoomState rs = rooms.apply(room);
        if (rs == null) {
          notAdmin(from, room, requestId);
          return;
        }
        rs.lane.execute(() -> {
          if (rs.isAdmin()) {
            r.roomHandler().handle(rs, from, m);
          } else if (requestId >= 0 && !rs.deleted()) {
            // the room lives on under another admin (moved, failed over, or being taken over): the
            // sender learns the new admin soon, so this is a retry, not an unknown room
            send.accept(from, Reply.error(requestId, ErrorCode.UNAVAILABLE,
                "node " + self + " no longer administers room '" + room + "' (its admin is now " + rs.admin + "); retry"));
          } else {
            notAdmin(from, room, requestId);
          }
        });
      }
    }
  }

  /** Answers a request (requestId >= 0) with UNKNOWN_ROOM, or anything else with RoomGone. */
  private void notAdmin(NodeId from, String room, long requestId) {
    String why = "node " + self + " does not administer room '" + room + "'";
    send.accept(from, requestId >= 0 ? Reply.error(requestId, ErrorCode.UNKNOWN_ROOM, why) : new RoomGone(room, why));
  }

  /** Builds the table; each message type is registered once. Not thread-safe. */
  static final class Builder {
    private final NodeId self;
    private final SerialExecutor nodeLane;
    private final Function<String, @Nullable RoomState> rooms;
    private final BiConsumer<NodeId, WireMessage> send;
    private final Map<Class<?>, Route> routes = new HashMap<>();

    private Builder(
        NodeId self,
        SerialExecutor nodeLane,
        Function<String, @Nullable RoomState> rooms,
        BiConsumer<NodeId, WireMessage> send) {
      this.self = self;
      this.nodeLane = nodeLane;
      this.rooms = rooms;
      this.send = send;
    }

    /** {@code type} is handled on the receiving thread. */
    <M extends WireMessage> Builder onTransport(Class<M> type, Handler<M> handler) {
      return add(type, Lane.TRANSPORT, null, null, handler, null);
    }

    /** {@code type} is handled on the node lane. */
    <M extends WireMessage> Builder onNodeLane(Class<M> type, Handler<M> handler) {
      return add(type, Lane.NODE, null, null, handler, null);
    }

    /**
     * {@code type} is handled on the lane of the room {@code room} names, if this node administers
     * it; otherwise the sender gets UNKNOWN_ROOM for request {@code requestId}, or {@link RoomGone}
     * when {@code requestId} is negative (the message expects no reply).
     */
    <M extends WireMessage> Builder onAdminRoom(
        Class<M> type, Function<M, String> room, ToLongFunction<M> requestId, RoomHandler<M> handler) {
      return add(type, Lane.ADMIN_ROOM, room, requestId, null, handler);
    }

    /** {@code type} is handled on the lane of the room {@code room} names, if it has state here. */
    <M extends WireMessage> Builder onMemberRoom(Class<M> type, Function<M, String> room, RoomHandler<M> handler) {
      return add(type, Lane.MEMBER_ROOM, room, null, null, handler);
    }

    MessageRouter build() {
      return new MessageRouter(this);
    }

    @SuppressWarnings("unchecked")
    private <M extends WireMessage> Builder add(
        Class<M> type,
        Lane lane,
        @Nullable Function<M, String> room,
        @Nullable ToLongFunction<M> requestId,
        @Nullable Handler<M> handler,
        @Nullable RoomHandler<M> roomHandler) {
      Route r =
          new Route(
              lane,
              room == null ? m -> "" : m -> room.apply((M) m),
              requestId == null ? m -> -1 : m -> requestId.applyAsLong((M) m),
              handler == null ? (f, i, m) -> {} : (f, i, m) -> handler.handle(f, i, (M) m),
              roomHandler == null ? (rs, f, m) -> {} : (rs, f, m) -> roomHandler.handle(rs, f, (M) m));
      if (routes.putIfAbsent(type, r) != null) {
        throw new IllegalStateException(type.getSimpleName() + " is routed twice");
      }
      return this;
    }
  }
}
