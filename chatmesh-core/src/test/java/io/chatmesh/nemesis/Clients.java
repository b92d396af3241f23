package io.chatmesh.nemesis;

import io.chatmesh.ChatException;
import io.chatmesh.ChatMessage;
import io.chatmesh.ErrorCode;
import io.chatmesh.JoinOptions;
import io.chatmesh.Joined;
import io.chatmesh.Room;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The clients of a {@link Nemesis} run: which user is in which session (as the client believes),
 * what each saw last (for since/resume), and the operations they make, each recorded in the
 * {@link History} with its invocation and outcome. Used from the run's thread only (outcomes are
 * written by engine threads into the history's thread-safe records).
 */
final class Clients {
  private static final List<String> ROOMS = Nemesis.ROOMS;
  private static final int USERS = Nemesis.USERS;

  private final Nemesis sim;
  private final Nemesis.Config config;
  private final Random random;
  private final History history;
  /** The room labels: a new one whenever a creation may have happened. */
  private final Map<String, Integer> incarnations = new HashMap<>();
  /** The session each user is in, as the client believes. */
  private final Map<String, History.Session> current = new LinkedHashMap<>();
  /** The last (incarnation, epoch, seq) each user saw per room, for since/resume. */
  private final Map<String, long[]> lastSeen = new HashMap<>();
  final List<CompletableFuture<?>> outstanding = new ArrayList<>();

  Clients(Nemesis sim, Nemesis.Config config, Random random, History history) {
    this.sim = sim;
    this.config = config;
    this.random = random;
    this.history = history;
  }

  /** The last (incarnation, epoch, seq) {@code user} saw in {@code room}, or null. */
  long @Nullable [] lastSeen(String user, String room) {
    return lastSeen.get(user + "/" + room);
  }

  /** The client no longer counts {@code s} as its user's session. */
  void forget(History.Session s) {
    current.remove(s.join.user, s);
  }

  /** Every session through {@code node} ended with its process. */
  void nodeCrashed(String node) {
    for (History.Session s : List.copyOf(current.values())) {
      if (s.join.node.equals(node)) {
        remember(s);
        current.remove(s.join.user, s);
        s.end("node " + node + " crashed");
      }
    }
  }

  void clientOp() {
    int r = random.nextInt(100);
    if (r < 10) {
      String node = sim.liveNode();
      String room = ROOMS.get(random.nextInt(ROOMS.size()));
      if (config.partitionedCreates() || !sim.partitioned()) {
        create(node, room);
      }
    } else if (r < 30) {
      join();
    } else if (r < 37) {
      leave();
    } else if (r < 43 && config.moves() != Nemesis.Moves.NONE) {
      move();
    } else if (r < 43) {
      leave();
    } else if (r < 80) {
      sendBurst(false);
    } else if (r < 88) {
      page();
    } else if (r < 95) {
      sendBurst(true);
    } else {
      delete(null);
    }
  }

  int incarnation(String room) {
    return incarnations.getOrDefault(room, 0);
  }

  void create(String node, String room) {
    History.Op op = history.invoke("create", node, null, room, incarnation(room), "");
    CompletableFuture<Room> f = sim.node(node).createRoom(room);
    f.whenComplete((v, e) -> complete(op, e));
    boolean ok = sim.await(f);
    if (ok || !op.definitelyFailed()) {
      // a creation that may have happened starts a new label: over-splitting only checks less
      int label = incarnations.merge(room, 1, Integer::sum);
      if (ok) {
        history.definiteCreations.add(room + "#" + label);
      }
    }
  }

  void join() {
    List<String> free = new ArrayList<>();
    for (int i = 1; i <= USERS; i++) {
      if (!current.containsKey("u" + i)) {
        free.add("u" + i);
      }
    }
    if (free.isEmpty()) {
      leave();
      return;
    }
    joinAs(free.get(random.nextInt(free.size())), sim.liveNode(), ROOMS.get(random.nextInt(ROOMS.size())), true);
  }

  @Nullable CompletableFuture<Joined> joinAs(String user, String node, String room, boolean wait) {
    long[] seen = lastSeen.get(user + "/" + room);
    JoinOptions options = JoinOptions.none();
    int from = -1;
    int kind = random.nextInt(4);
    if (seen != null && kind == 1) {
      options = JoinOptions.since(seen[2]);
    } else if (seen != null && kind == 2 && seen[1] >= 1) {
      options = JoinOptions.resume(seen[1], seen[2]);
      from = (int) seen[0];
    } else if (kind == 3) {
      options = JoinOptions.last(1 + random.nextInt(5));
    }
    CompletableFuture<Joined> f = joinAs(user, node, room, wait, options, from);
    History.Session s = current.get(user);
    if (wait && f != null && s != null && s.join.code == ErrorCode.TIMEOUT) {
      // the client saw no answer: it joins again through the same node (the first may have happened)
      current.remove(user, s);
      f = joinAs(user, node, room, true, options, from);
    }
    return f;
  }

  boolean incarnationEnded(History.Session s) {
    return s.ended() && s.endedBy.startsWith("room deleted");
  }

  @Nullable CompletableFuture<Joined> joinAs(String user, String node, String room, boolean wait, JoinOptions options, int from) {
    Room h = sim.handle(node, room);
    if (h == null) {
      return null;
    }
    History.Op op = history.invoke("join", node, user, room, incarnation(room), options.toString());
    History.Session s = new History.Session(history, op, options, from);
    history.sessions.add(s);
    current.put(user, s);
    CompletableFuture<Joined> f = h.join(UserId.of(user), config.listeners().apply(s), options);
    f.whenComplete((j, e) -> {
      if (j != null) {
        op.epoch = j.epoch();
        op.seq = j.seq();
        op.recovered = j.recovered();
        op.members = j.members();
      }
      complete(op, e);
    });
    if (wait && !sim.await(f) && op.definitelyFailed()) {
      current.remove(user, s);
      s.end("join failed");
    }
    return f;
  }

  History.@Nullable Session anySession() {
    if (current.isEmpty()) {
      return null;
    }
    List<History.Session> all = new ArrayList<>(current.values());
    return all.get(random.nextInt(all.size()));
  }

  void leave() {
    History.Session s = anySession();
    if (s != null) {
      leave(s, true);
    }
  }

  @Nullable CompletableFuture<Void> leave(History.Session s, boolean wait) {
    remember(s);
    current.remove(s.join.user, s);
    Room h = sim.handle(s.join.node, s.join.room);
    if (h == null) {
      s.end("room unknown on its node");
      return null;
    }
    History.Op op = history.invoke("leave", s.join.node, s.join.user, s.join.room, s.join.incarnation, "");
    s.end("leave op#" + op.id);
    CompletableFuture<Void> f = h.leave(UserId.of(s.join.user));
    f.whenComplete((v, e) -> complete(op, e));
    if (wait) {
      sim.await(f);
    } else {
      outstanding.add(f);
    }
    return f;
  }

  /**
   * A user moves to another node: leave there, join here; with concurrent moves in either order
   * without waiting in between, else one after the other.
   */
  void move() {
    History.Session s = anySession();
    if (s == null || sim.upNodes().size() < 2) {
      return;
    }
    String to = sim.liveNode();
    if (to.equals(s.join.node)) {
      return;
    }
    String user = s.join.user;
    String room = s.join.room;
    CompletableFuture<?> a;
    CompletableFuture<?> b;
    if (config.moves() == Nemesis.Moves.SEQUENTIAL) {
      a = leave(s, true);
      b = joinAs(user, to, room, true);
    } else if (random.nextBoolean()) {
      a = leave(s, false);
      b = joinAs(user, to, room, false);
    } else {
      current.remove(user, s);
      b = joinAs(user, to, room, false);
      a = leave(s, false);
    }
    for (CompletableFuture<?> f : new CompletableFuture<?>[] {a, b}) {
      if (f != null) {
        sim.await(f);
      }
    }
    History.Session now = current.get(user);
    if (now != null && now != s && now.join.definitelyFailed()) {
      current.remove(user, now);
      now.end("join failed");
    }
  }

  /** 1-4 sends fired together by joined users, awaited, then timed-out ones retried with their client id; optionally a delete right behind them. */
  void sendBurst(boolean deleteInFlight) {
    sendBurst(deleteInFlight, null);
  }

  void sendBurst(boolean deleteInFlight, @Nullable String onlyRoom) {
    sendBurst(deleteInFlight, onlyRoom, null);
  }

  /**
   * {@link #sendBurst(boolean, String)}; with {@code midway}, first-time joins through other nodes
   * are fired with the sends and {@code midway} (a fault) runs while they are all in flight. With
   * failover, a send whose outcome is unknown is retried with its client id a few more times,
   * waiting between attempts for the room to come back (a takeover).
   */
  void sendBurst(boolean deleteInFlight, @Nullable String onlyRoom, @Nullable Runnable midway) {
    List<History.Op> ops = new ArrayList<>();
    List<CompletableFuture<Sent>> futures = new ArrayList<>();
    int n = 1 + random.nextInt(4);
    String deleteRoom = null;
    for (int i = 0; i < n; i++) {
      History.Session s = anySession();
      if (s == null) {
        break;
      }
      if (onlyRoom != null && !s.join.room.equals(onlyRoom)) {
        continue;
      }
      Room h = sim.handle(s.join.node, s.join.room);
      if (h == null) {
        continue;
      }
      deleteRoom = s.join.room;
      History.Op op = history.invoke("send", s.join.node, s.join.user, s.join.room, s.join.incarnation, "");
      op.text = "m" + op.id;
      op.clientId = random.nextInt(10) < 7 ? "c" + op.id : null;
      ops.add(op);
      futures.add(send(h, op));
      if (op.clientId != null && (config.brokenDedup() || random.nextInt(5) == 0)) {
        // the client did not see the reply and retries at once with the same client id
        History.Op again = history.invoke("send", op.node, op.user, op.room, op.incarnation, "immediate retry of op#" + op.id);
        again.text = op.text;
        again.clientId = op.clientId;
        again.retryOf = op;
        ops.add(again);
        futures.add(send(h, again));
      }
    }
    if (onlyRoom != null) {
      deleteRoom = onlyRoom;
    }
    if (deleteInFlight && deleteRoom != null) {
      delete(deleteRoom);
    }
    List<CompletableFuture<Joined>> joins = new ArrayList<>();
    if (midway != null) {
      for (int i = random.nextInt(3); i > 0; i--) {
        String user = freeUser();
        if (user != null) {
          CompletableFuture<Joined> j = joinAs(user, sim.liveNode(), ROOMS.get(random.nextInt(ROOMS.size())), false);
          if (j != null) {
            joins.add(j);
          }
        }
      }
      midway.run();
    }
    for (int i = 0; i < ops.size(); i++) {
      History.Op op = ops.get(i);
      sim.await(futures.get(i));
      History.Op original = op;
      int attempts = config.failover() == null ? 2 : 5;
      for (int attempt = 0; attempt < attempts && op.outcome == History.Outcome.FAILED && !op.definitelyFailed() && op.clientId != null; attempt++) {
        if (config.failover() != null && attempt > 0) {
          sim.pauseForTakeover(); // the room may be between two admins
        }
        Room h = sim.handle(op.node, op.room);
        History.Session s = current.get(op.user);
        if (h == null || s == null || s.join.incarnation != op.incarnation || incarnation(op.room) != op.incarnation) {
          break;
        }
        History.Op retry = history.invoke("send", op.node, op.user, op.room, op.incarnation, "retry of op#" + original.id);
        retry.text = op.text;
        retry.clientId = op.clientId;
        retry.retryOf = original;
        sim.await(send(h, retry));
        op = retry;
      }
    }
    for (CompletableFuture<Joined> j : joins) {
      sim.await(j);
    }
  }

  CompletableFuture<Sent> send(Room h, History.Op op) {
    CompletableFuture<Sent> f = h.send(UserId.of(op.user), op.text, op.clientId);
    f.whenComplete((sent, e) -> {
      if (sent != null) {
        op.epoch = sent.epoch();
        op.seq = sent.seq();
        op.duplicate = sent.duplicate();
      }
      complete(op, e);
    });
    return f;
  }

  void page() {
    String node = sim.liveNode();
    String room = ROOMS.get(random.nextInt(ROOMS.size()));
    Room h = sim.handle(node, room);
    if (h == null) {
      return;
    }
    long before = random.nextBoolean() ? Long.MAX_VALUE : 1 + random.nextInt(20);
    int limit = 1 + random.nextInt(10);
    History.Op op = history.invoke("history", node, null, room, incarnation(room), "before " + before + " limit " + limit);
    CompletableFuture<List<ChatMessage>> f = h.history(before, limit);
    f.whenComplete((list, e) -> {
      if (list != null) {
        op.page = List.copyOf(list);
      }
      complete(op, e);
    });
    sim.await(f);
  }

  void delete(@Nullable String preferred) {
    String room = preferred != null ? preferred : ROOMS.get(random.nextInt(ROOMS.size()));
    String node = sim.liveNode();
    Room h = sim.handle(node, room);
    if (h == null || sim.crashed(h.admin().value())) {
      return;
    }
    String admin = h.admin().value();
    Room at = sim.handle(admin, room);
    if (at == null) {
      return;
    }
    History.Op op = history.invoke("delete", admin, null, room, incarnation(room), "");
    CompletableFuture<Void> f = at.delete();
    f.whenComplete((v, e) -> complete(op, e));
    if (sim.await(f)) {
      for (History.Session s : List.copyOf(current.values())) {
        if (s.join.room.equals(room)) {
          remember(s);
          current.remove(s.join.user, s);
          s.end("room deleted by op#" + op.id);
        }
      }
    }
  }

  void remember(History.Session s) {
    long[] last = s.lastPosition();
    if (last != null) {
      lastSeen.put(s.join.user + "/" + s.join.room, new long[] {s.join.incarnation, last[0], last[1]});
    }
  }

  void complete(History.Op op, @Nullable Throwable e) {
    if (history.frozen) {
      return;
    }
    if (e != null) {
      op.code = ChatException.from(e).code();
      op.outcome = History.Outcome.FAILED;
    } else {
      op.outcome = History.Outcome.OK;
    }
    op.completedTick = history.tick();
  }

  @Nullable String freeUser() {
    for (int i = 1; i <= USERS; i++) {
      if (!current.containsKey("u" + i)) {
        return "u" + i;
      }
    }
    return null;
  }
}
