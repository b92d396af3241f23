package io.chatmesh.websocket;

import io.chatmesh.ChatException;
import io.chatmesh.ChatMessage;
import io.chatmesh.ChatNode;
import io.chatmesh.ClusterListener;
import io.chatmesh.ErrorCode;
import io.chatmesh.Joined;
import io.chatmesh.NodeId;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.RoomInfo;
import io.chatmesh.RoomListener;
import io.chatmesh.RoomSummary;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A single-node stand-in for a ChatNode, used to test the gateway's protocol handling in isolation
 * (the cluster behaviour is tested with the real engine elsewhere). All room state lives on one
 * "chatmesh" thread; listeners are called there, in order, like the real engine does.
 */
final class FakeChatNode implements ChatNode {
  private final NodeId id;
  private final ExecutorService lane;
  private final Map<String, FakeRoom> rooms = new TreeMap<>();
  volatile boolean abortDeletes;

  FakeChatNode(String id) {
    this.id = NodeId.of(id);
    this.lane = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "fake-chatmesh-" + id);
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public NodeId id() {
    return id;
  }

  @Override
  public String address() {
    return id.value();
  }

  @Override
  public ChatNode start() {
    return this;
  }

  @Override
  public void close() {
    lane.shutdownNow();
    try {
      lane.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private <T> CompletableFuture<T> onLane(java.util.function.Supplier<T> work) {
    return CompletableFuture.supplyAsync(work, lane);
  }

  @Override
  public CompletableFuture<Room> createRoom(String name) {
    return onLane(() -> {
      if (name.isBlank() || !name.matches("[A-Za-z0-9._-]{1,64}")) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "room name '" + name + "' is invalid");
      }
      synchronized (rooms) {
        if (rooms.containsKey(name)) {
          throw new ChatException(ErrorCode.ROOM_EXISTS, "room '" + name + "' exists");
        }
        FakeRoom r = new FakeRoom(name);
        rooms.put(name, r);
        return r;
      }
    });
  }

  @Override
  public CompletableFuture<Room> createRoom(String name, UserId owner, boolean privateRoom) {
    return createRoom(name); // ownership is enforced by the real engine (GatewayClusterTest)
  }

  @Override
  public Optional<Room> room(String name) {
    synchronized (rooms) {
      return Optional.ofNullable(rooms.get(name));
    }
  }

  @Override
  public List<RoomSummary> rooms() {
    synchronized (rooms) {
      List<RoomSummary> out = new ArrayList<>();
      for (FakeRoom r : rooms.values()) {
        out.add(new RoomSummary(r.name, id, 1, r.memberCount(), true));
      }
      return out;
    }
  }

  @Override
  public Set<NodeId> liveNodes() {
    return Set.of();
  }

  @Override
  public void addClusterListener(ClusterListener listener) {}

  /** Delivers {@code event} to every member of the room, on the room lane; returns when done. */
  void emit(String room, RoomEvent event) throws Exception {
    FakeRoom r;
    synchronized (rooms) {
      r = rooms.get(room);
    }
    onLane(() -> {
      r.broadcast(event);
      return null;
    }).get(5, TimeUnit.SECONDS);
  }

  /** Delivers every event in one go on the room lane (a history catch-up); returns when done. */
  void emitBurst(String room, List<RoomEvent> events) throws Exception {
    FakeRoom r;
    synchronized (rooms) {
      r = rooms.get(room);
    }
    onLane(() -> {
      events.forEach(r::broadcast);
      return null;
    }).get(10, TimeUnit.SECONDS);
  }

  @Override
  public io.chatmesh.metrics.NodeMetricsSnapshot metrics() {
    throw new UnsupportedOperationException("the fake node has no metrics");
  }

  @Override
  public void addMetricsObserver(io.chatmesh.metrics.MetricsObserver observer) {
    throw new UnsupportedOperationException("the fake node has no metrics");
  }

  @Override
  public io.chatmesh.NodeHealth health() {
    return new io.chatmesh.NodeHealth(true, true, true, true, List.of());
  }

  private final class FakeRoom implements Room {
    final String name;
    final Map<UserId, RoomListener> members = new LinkedHashMap<>();
    final Map<String, Long> dedup = new HashMap<>();
    long seq;
    volatile int count;

    FakeRoom(String name) {
      this.name = name;
    }

    int memberCount() {
      return count;
    }

    void broadcast(RoomEvent e) {
      for (RoomListener l : List.copyOf(members.values())) {
        l.onEvent(e);
      }
    }

    boolean alive() {
      synchronized (rooms) {
        return rooms.get(name) == this;
      }
    }

    void checkAlive() {
      if (!alive()) {
        throw new ChatException(ErrorCode.UNKNOWN_ROOM, "room '" + name + "' was deleted");
      }
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public NodeId admin() {
      return id;
    }

    @Override
    public CompletableFuture<Joined> join(UserId user, RoomListener listener) {
      return onLane(() -> {
        checkAlive();
        if (members.containsKey(user)) {
          throw new ChatException(ErrorCode.ALREADY_MEMBER, user + " is a member");
        }
        members.put(user, listener);
        count = members.size();
        long s = ++seq;
        broadcast(new RoomEvent.MemberJoined(name, 1, s, user, System.currentTimeMillis()));
        return new Joined(name, id, 1, s, members.keySet().stream().sorted().toList());
      });
    }

    /** The fake keeps no history: options are ignored (the live stream only). */
    @Override
    public CompletableFuture<Joined> join(UserId user, RoomListener listener, io.chatmesh.JoinOptions options) {
      return join(user, listener);
    }

    @Override
    public CompletableFuture<List<io.chatmesh.ChatMessage>> history(long beforeSeq, int limit) {
      return CompletableFuture.failedFuture(new ChatException(ErrorCode.UNAVAILABLE, "the fake node keeps no history"));
    }

    @Override
    public CompletableFuture<Void> leave(UserId user) {
      return onLane(() -> {
        checkAlive();
        if (!members.containsKey(user)) {
          throw new ChatException(ErrorCode.NOT_MEMBER, user + " is not a member");
        }
        long s = ++seq;
        broadcast(new RoomEvent.MemberLeft(name, 1, s, user, RoomEvent.LeaveReason.LEFT, System.currentTimeMillis()));
        members.remove(user);
        count = members.size();
        return null;
      });
    }

    @Override
    public CompletableFuture<Sent> send(UserId user, String text) {
      return send(user, text, null);
    }

    @Override
    public CompletableFuture<Sent> send(UserId user, String text, @Nullable String clientMessageId) {
      return onLane(() -> {
        checkAlive();
        if (text.isBlank()) {
          throw new ChatException(ErrorCode.BAD_REQUEST, "text must not be blank");
        }
        if (text.length() > 4096) {
          throw new ChatException(ErrorCode.TOO_LARGE, "text is " + text.length() + " characters");
        }
        if (!members.containsKey(user)) {
          throw new ChatException(ErrorCode.NOT_MEMBER, user + " is not a member");
        }
        if (clientMessageId != null) {
          Long prior = dedup.get(user + "/" + clientMessageId);
          if (prior != null) {
            return new Sent(name, 1, prior, true);
          }
        }
        long s = ++seq;
        if (clientMessageId != null) {
          dedup.put(user + "/" + clientMessageId, s);
        }
        broadcast(new ChatMessage(name, 1, s, user, text, clientMessageId, System.currentTimeMillis()));
        return new Sent(name, 1, s, false);
      });
    }

    @Override
    public CompletableFuture<RoomInfo> info() {
      return onLane(() -> new RoomInfo(name, id, 1, seq, members.keySet().stream().sorted().toList()));
    }

    @Override
    public CompletableFuture<Void> delete() {
      return onLane(() -> {
        checkAlive();
        if (abortDeletes) {
          throw new ChatException(ErrorCode.ABORTED, "a participant voted ABORT");
        }
        synchronized (rooms) {
          rooms.remove(name);
        }
        broadcast(new RoomEvent.RoomDeleted(name, "deleted by its admin"));
        members.clear();
        count = 0;
        return null;
      });
    }

    @Override
    public CompletableFuture<Void> delete(UserId by) {
      return delete();
    }

    @Override
    public CompletableFuture<Void> invite(UserId by, UserId user) {
      return onLane(() -> null);
    }

    @Override
    public CompletableFuture<Void> uninvite(UserId by, UserId user) {
      return onLane(() -> null);
    }
  }
}
