package io.chatmesh.nemesis;


import io.chatmesh.ChatException;
import io.chatmesh.ChatMessage;
import io.chatmesh.ChatNode;
import io.chatmesh.JoinOptions;
import io.chatmesh.Joined;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.RoomListener;
import io.chatmesh.RoomSummary;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.time.ManualClock;
import io.chatmesh.transport.faults.FaultInjector;
import io.chatmesh.transport.faults.Faults;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One seeded nemesis run: an {@link InMemoryCluster} of 3-5 nodes on a {@link ManualClock}, a
 * random schedule of client operations (create, join with and without since/last/resume, leave,
 * move a user between nodes, sends with client ids and retries, history paging, delete, also with
 * sends in flight) interleaved with the enabled {@link FaultKind faults}; then every fault is
 * healed, crashed nodes restart, and the run waits a bounded clock time for the cluster to settle
 * before recording the end state. The seed decides the schedule; thread interleavings inside the
 * engine are not controlled, so a seed is reproducible in what it does, not always in what it finds.
 */
final class Nemesis {
  static final Duration HEARTBEAT = Duration.ofMillis(50);
  static final Duration FAILURE_TIMEOUT = Duration.ofMillis(2000);
  static final Duration REQUEST_TIMEOUT = Duration.ofMillis(600);
  static final Duration PREPARE_TIMEOUT = Duration.ofMillis(300);
  /** Clock time given to the cluster to converge once every fault stopped. */
  static final Duration SETTLE = Duration.ofSeconds(10);
  private static final Duration STEP = Duration.ofMillis(10);
  private static final List<String> ROOMS = List.of("r1", "r2", "r3");
  private static final int USERS = 6;

  /** What to run. */
  record Config(
      long seed, int steps, Set<FaultKind> kinds, boolean concurrentMoves, UnaryOperator<RoomListener> listeners, boolean brokenDedup) {
    Config(long seed, int steps, Set<FaultKind> kinds, boolean concurrentMoves) {
      this(seed, steps, kinds, concurrentMoves, l -> l, false);
    }

    String replay() {
      return "mvn -B -o -pl chatmesh-core -am verify -Dtest=NemesisTest#replay -Dsurefire.failIfNoSpecifiedTests=false"
          + " -Dnemesis.seed=" + seed + " -Dnemesis.steps=" + steps + " -Dnemesis.kinds=" + FaultKind.format(kinds)
          + " -Dnemesis.moves=" + (concurrentMoves ? "concurrent" : "sequential");
    }
  }

  private final Config config;
  private final Random random;
  private final ManualClock clock = new ManualClock();
  private final InMemoryNetwork network;
  private final FaultInjector faults;
  private final Map<String, KeptHistoryStore> stores = new HashMap<>();
  private final InMemoryCluster cluster;
  private final History history;
  private final List<String> nodeNames = new ArrayList<>();
  private final Set<String> crashed = new TreeSet<>();
  private final Set<String> paused = new TreeSet<>();
  private final Map<String, Integer> incarnations = new HashMap<>();
  /** The session each user is in, as the client believes. */
  private final Map<String, History.Session> current = new LinkedHashMap<>();
  /** The last (incarnation, epoch, seq) each user saw per room, for since/resume. */
  private final Map<String, long[]> lastSeen = new HashMap<>();
  private final List<Active> active = new ArrayList<>();
  private final List<CompletableFuture<?>> outstanding = new ArrayList<>();
  private boolean stuck;

  private record Active(FaultKind kind, String target, int endsAt, Runnable undo) {}

  private Nemesis(Config config) {
    this.config = config;
    this.random = new Random(config.seed);
    this.history = new History(config.seed, config.replay());
    this.network = new InMemoryNetwork(config.seed, clock);
    this.faults = network.injector();
    int n = 3 + random.nextInt(3);
    for (int i = 1; i <= n; i++) {
      nodeNames.add("n" + i);
      stores.put("n" + i, new KeptHistoryStore(clock));
    }
    this.cluster = InMemoryCluster.builder()
        .nodes(n)
        .clock(clock)
        .transports(network::transport, network::crash)
        .configure(b -> b.heartbeatInterval(HEARTBEAT)
            .failureTimeout(FAILURE_TIMEOUT)
            .requestTimeout(REQUEST_TIMEOUT)
            .prepareTimeout(PREPARE_TIMEOUT)
            .resendBufferSize(1000))
        .configureNode((name, b) -> b.history(stores.get(name)))
        .build();
  }

  /** Runs {@code config} and returns what happened. */
  static History run(Config config) {
    Nemesis n = new Nemesis(config);
    try {
      n.cluster.start();
      n.settle(n.cluster::connected, 5_000);
      for (int step = 0; step < config.steps; step++) {
        n.step(step);
      }
      n.finish();
    } finally {
      n.history.frozen = true;
      n.cluster.close();
      n.network.close();
    }
    return n.history;
  }

  // ================================================================ schedule

  private void step(int step) {
    for (Active a : List.copyOf(active)) {
      if (a.endsAt <= step) {
        active.remove(a);
        a.undo.run();
        history.fault("end " + a.kind + " " + a.target);
      }
    }
    if (!config.kinds.isEmpty() && active.size() < 2 && random.nextInt(100) < 18) {
      List<FaultKind> kinds = new ArrayList<>(config.kinds);
      startFault(kinds.get(random.nextInt(kinds.size())), step);
    } else {
      clientOp();
    }
    settle(() -> false, random.nextInt(60));
  }

  private void clientOp() {
    int r = random.nextInt(100);
    if (r < 10) {
      create(liveNode(), ROOMS.get(random.nextInt(ROOMS.size())));
    } else if (r < 30) {
      join();
    } else if (r < 37) {
      leave();
    } else if (r < 43) {
      move();
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

  private String liveNode() {
    List<String> up = upNodes();
    return up.get(random.nextInt(up.size()));
  }

  private List<String> upNodes() {
    List<String> up = new ArrayList<>(nodeNames);
    up.removeAll(crashed);
    return up;
  }

  private int incarnation(String room) {
    return incarnations.getOrDefault(room, 0);
  }

  private @Nullable Room handle(String node, String room) {
    if (crashed.contains(node)) {
      return null;
    }
    return cluster.node(node).room(room).orElse(null);
  }

  // ================================================================ client operations

  private void create(String node, String room) {
    History.Op op = history.invoke("create", node, null, room, incarnation(room), "");
    CompletableFuture<Room> f = cluster.node(node).createRoom(room);
    f.whenComplete((v, e) -> complete(op, e));
    boolean ok = await(f);
    if (ok || !op.definitelyFailed()) {
      // a creation that may have happened starts a new label: over-splitting only checks less
      int label = incarnations.merge(room, 1, Integer::sum);
      if (ok) {
        history.definiteCreations.add(room + "#" + label);
      }
    }
  }

  private void join() {
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
    joinAs(free.get(random.nextInt(free.size())), liveNode(), ROOMS.get(random.nextInt(ROOMS.size())), true);
  }

  private @Nullable CompletableFuture<Joined> joinAs(String user, String node, String room, boolean wait) {
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
    if (wait && f != null && s != null && s.join.code == io.chatmesh.ErrorCode.TIMEOUT) {
      // the client saw no answer: it joins again through the same node (the first may have happened)
      current.remove(user, s);
      f = joinAs(user, node, room, true, options, from);
    }
    return f;
  }

  private boolean incarnationEnded(History.Session s) {
    return s.ended() && s.endedBy.startsWith("room deleted");
  }

  private @Nullable CompletableFuture<Joined> joinAs(String user, String node, String room, boolean wait, JoinOptions options, int from) {
    Room h = handle(node, room);
    if (h == null) {
      return null;
    }
    History.Op op = history.invoke("join", node, user, room, incarnation(room), options.toString());
    History.Session s = new History.Session(history, op, options, from);
    history.sessions.add(s);
    current.put(user, s);
    CompletableFuture<Joined> f = h.join(UserId.of(user), config.listeners.apply(s), options);
    f.whenComplete((j, e) -> {
      if (j != null) {
        op.epoch = j.epoch();
        op.seq = j.seq();
        op.recovered = j.recovered();
        op.members = j.members();
      }
      complete(op, e);
    });
    if (wait && !await(f) && op.definitelyFailed()) {
      current.remove(user, s);
      s.end("join failed");
    }
    return f;
  }

  private History.@Nullable Session anySession() {
    if (current.isEmpty()) {
      return null;
    }
    List<History.Session> all = new ArrayList<>(current.values());
    return all.get(random.nextInt(all.size()));
  }

  private void leave() {
    History.Session s = anySession();
    if (s != null) {
      leave(s, true);
    }
  }

  private @Nullable CompletableFuture<Void> leave(History.Session s, boolean wait) {
    remember(s);
    current.remove(s.join.user, s);
    Room h = handle(s.join.node, s.join.room);
    if (h == null) {
      s.end("room unknown on its node");
      return null;
    }
    History.Op op = history.invoke("leave", s.join.node, s.join.user, s.join.room, s.join.incarnation, "");
    s.end("leave op#" + op.id);
    CompletableFuture<Void> f = h.leave(UserId.of(s.join.user));
    f.whenComplete((v, e) -> complete(op, e));
    if (wait) {
      await(f);
    } else {
      outstanding.add(f);
    }
    return f;
  }

  /**
   * A user moves to another node: leave there, join here; with concurrent moves in either order
   * without waiting in between, else one after the other.
   */
  private void move() {
    History.Session s = anySession();
    if (s == null || upNodes().size() < 2) {
      return;
    }
    String to = liveNode();
    if (to.equals(s.join.node)) {
      return;
    }
    String user = s.join.user;
    String room = s.join.room;
    CompletableFuture<?> a;
    CompletableFuture<?> b;
    if (!config.concurrentMoves) {
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
        await(f);
      }
    }
    History.Session now = current.get(user);
    if (now != null && now != s && now.join.definitelyFailed()) {
      current.remove(user, now);
      now.end("join failed");
    }
  }

  /** 1-4 sends fired together by joined users, awaited, then timed-out ones retried with their client id; optionally a delete right behind them. */
  private void sendBurst(boolean deleteInFlight) {
    sendBurst(deleteInFlight, null);
  }

  private void sendBurst(boolean deleteInFlight, @Nullable String onlyRoom) {
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
      Room h = handle(s.join.node, s.join.room);
      if (h == null) {
        continue;
      }
      deleteRoom = s.join.room;
      History.Op op = history.invoke("send", s.join.node, s.join.user, s.join.room, s.join.incarnation, "");
      op.text = "m" + op.id;
      op.clientId = random.nextInt(10) < 7 ? "c" + op.id : null;
      ops.add(op);
      futures.add(send(h, op));
      if (op.clientId != null && (config.brokenDedup || random.nextInt(5) == 0)) {
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
    for (int i = 0; i < ops.size(); i++) {
      History.Op op = ops.get(i);
      await(futures.get(i));
      History.Op original = op;
      for (int attempt = 0; attempt < 2 && op.outcome == History.Outcome.FAILED && !op.definitelyFailed() && op.clientId != null; attempt++) {
        Room h = handle(op.node, op.room);
        History.Session s = current.get(op.user);
        if (h == null || s == null || s.join.incarnation != op.incarnation || incarnation(op.room) != op.incarnation) {
          break;
        }
        History.Op retry = history.invoke("send", op.node, op.user, op.room, op.incarnation, "retry of op#" + original.id);
        retry.text = op.text;
        retry.clientId = op.clientId;
        retry.retryOf = original;
        await(send(h, retry));
        op = retry;
      }
    }
  }

  private CompletableFuture<Sent> send(Room h, History.Op op) {
    String cid = op.clientId;
    if (config.brokenDedup && cid != null && op.retryOf != null) {
      cid = cid + "-" + op.id; // a broken dedup: the retry is not recognised as one
    }
    CompletableFuture<Sent> f = h.send(UserId.of(op.user), op.text, cid);
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

  private void page() {
    String node = liveNode();
    String room = ROOMS.get(random.nextInt(ROOMS.size()));
    Room h = handle(node, room);
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
    await(f);
  }

  private void delete(@Nullable String preferred) {
    String room = preferred != null ? preferred : ROOMS.get(random.nextInt(ROOMS.size()));
    String node = liveNode();
    Room h = handle(node, room);
    if (h == null || crashed.contains(h.admin().value())) {
      return;
    }
    String admin = h.admin().value();
    Room at = handle(admin, room);
    if (at == null) {
      return;
    }
    History.Op op = history.invoke("delete", admin, null, room, incarnation(room), "");
    CompletableFuture<Void> f = at.delete();
    f.whenComplete((v, e) -> complete(op, e));
    if (await(f)) {
      for (History.Session s : List.copyOf(current.values())) {
        if (s.join.room.equals(room)) {
          remember(s);
          current.remove(s.join.user, s);
          s.end("room deleted by op#" + op.id);
        }
      }
    }
  }

  private void remember(History.Session s) {
    long epoch = 0;
    long seq = 0;
    for (RoomEvent e : s.events) {
      long[] p = Checker.position(e);
      if (p != null && p[1] > seq) {
        epoch = p[0];
        seq = p[1];
      }
    }
    if (seq > 0) {
      lastSeen.put(s.join.user + "/" + s.join.room, new long[] {s.join.incarnation, epoch, seq});
    }
  }

  private void complete(History.Op op, @Nullable Throwable e) {
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

  // ================================================================ faults

  private void startFault(FaultKind kind, int step) {
    int ends = step + 3 + random.nextInt(8);
    List<String> up = upNodes();
    String node = up.get(random.nextInt(up.size()));
    switch (kind) {
      case LOSSY -> {
        faults.faults(Faults.builder().drop(0.05 + random.nextDouble() * 0.25).duplicate(random.nextDouble() * 0.2)
            .reorder(random.nextDouble() * 0.3, Duration.ofMillis(30)).build());
        begin(kind, "all links", ends, () -> faults.faults(Faults.NONE));
      }
      case LOSSY_NODE -> {
        Faults lossy = Faults.builder().drop(0.2 + random.nextDouble() * 0.3).build();
        for (String o : nodeNames) {
          if (!o.equals(node)) {
            faults.faults(o, node, lossy);
            faults.faults(node, o, lossy);
          }
        }
        begin(kind, node, ends, () -> {
          for (String o : nodeNames) {
            faults.faults(o, node, Faults.NONE);
            faults.faults(node, o, Faults.NONE);
          }
        });
        // first-time joiners through that node while its links lose entries and replies
        for (int i = 0; i < 2; i++) {
          String user = freeUser();
          if (user != null) {
            joinAs(user, node, ROOMS.get(random.nextInt(ROOMS.size())), false);
          }
        }
      }
      case PARTITION -> {
        List<String> shuffled = new ArrayList<>(nodeNames);
        java.util.Collections.shuffle(shuffled, random);
        int cut = 1 + random.nextInt(shuffled.size() - 1);
        Set<String> a = Set.copyOf(shuffled.subList(0, cut));
        Set<String> b = Set.copyOf(shuffled.subList(cut, shuffled.size()));
        faults.partition(a, b);
        begin(kind, a + "|" + b, ends, () -> faults.partition(Set.copyOf(nodeNames)));
      }
      case ONE_WAY -> {
        for (String o : nodeNames) {
          if (!o.equals(node)) {
            faults.cut(node, o);
          }
        }
        begin(kind, node + " not heard", ends, () -> nodeNames.forEach(o -> faults.restore(node, o)));
      }
      case STALL -> {
        String to = nodeNames.get(random.nextInt(nodeNames.size()));
        if (!to.equals(node)) {
          faults.stall(node, to);
          begin(kind, node + "->" + to, Math.min(ends, step + 4), () -> faults.unstall(node, to));
        }
      }
      case PAUSE -> {
        if (paused.add(node)) {
          faults.pause(node);
          history.fault("start PAUSE " + node);
          settle(() -> false, FAILURE_TIMEOUT.toMillis() * 2);
          begin(kind, node, step + 1 + random.nextInt(3), () -> {
            paused.remove(node);
            faults.resume(node);
          });
        }
      }
      case CRASH -> {
        if (up.size() > 1) {
          crash(node);
          begin(kind, node, ends, () -> restart(node, null));
        }
      }
      case FAST_RESTART -> {
        // requests of the old process may still be held or in flight at the admin
        sendBurst(false);
        crash(node);
        restart(node, null);
      }
      case RESTART_CREATE -> {
        crash(node);
        restart(node, ROOMS.get(random.nextInt(ROOMS.size())));
      }
      case CLOCK_JUMP -> {
        history.fault("CLOCK_JUMP " + FAILURE_TIMEOUT.multipliedBy(3));
        clock.advance(FAILURE_TIMEOUT.multipliedBy(3));
      }
      case PARTITION_AFTER_VOTE -> {
        List<String> shuffled = new ArrayList<>(nodeNames);
        java.util.Collections.shuffle(shuffled, random);
        int cut = 1 + random.nextInt(shuffled.size() - 1);
        Set<String> a = Set.copyOf(shuffled.subList(0, cut));
        Set<String> b = Set.copyOf(shuffled.subList(cut, shuffled.size()));
        java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean(true);
        faults.filter((from, to, env) -> {
          if (env.message() instanceof io.chatmesh.wire.Vote && armed.compareAndSet(true, false)) {
            faults.partition(a, b);
          }
          return true;
        });
        begin(kind, a + "|" + b + " after the first vote", ends, () -> {
          faults.filter(null);
          faults.partition(Set.copyOf(nodeNames));
        });
        if (random.nextBoolean()) {
          create(node, ROOMS.get(random.nextInt(ROOMS.size())));
        } else {
          delete(null);
        }
      }
      case HELD_THEN_RESTART -> {
        History.Session s = anySession();
        Room h = s == null ? null : handle(s.join.node, s.join.room);
        if (s != null && h != null && !crashed.contains(h.admin().value()) && !h.admin().value().equals(s.join.node)) {
          String admin = h.admin().value();
          String member = s.join.node;
          faults.stall(admin, member);
          history.fault("stall " + admin + "->" + member + ", sends held");
          sendBurst(false);
          crash(member);
          restart(member, null);
          faults.unstall(admin, member);
          history.fault("unstall " + admin + "->" + member);
        }
      }
      case DELETE_RECREATE_RESUME -> {
        History.Session s = anySession();
        if (s != null) {
          String user = s.join.user;
          String room = s.join.room;
          sendBurst(true, room);
          if (incarnationEnded(s)) {
            create(liveNode(), room);
            current.remove(user, s);
            String at = liveNode();
            long[] seen = lastSeen.get(user + "/" + room);
            if (seen != null) {
              joinAs(user, at, room, true, JoinOptions.resume(Math.max(1, seen[1]), seen[2]), (int) seen[0]);
            }
          }
        }
      }
      case SLOW_STORE -> {
        KeptHistoryStore store = stores.get(node);
        store.slow(REQUEST_TIMEOUT.multipliedBy(3).dividedBy(2));
        begin(kind, node, ends, () -> store.slow(Duration.ZERO));
      }
    }
  }

  private @Nullable String freeUser() {
    for (int i = 1; i <= USERS; i++) {
      if (!current.containsKey("u" + i)) {
        return "u" + i;
      }
    }
    return null;
  }

  private void begin(FaultKind kind, String target, int endsAt, Runnable undo) {
    history.fault("start " + kind + " " + target);
    active.add(new Active(kind, target, endsAt, undo));
  }

  private void crash(String node) {
    history.fault("crash " + node);
    history.nodeEvents.add("crash " + node + " at tick " + history.tick());
    cluster.crash(node);
    crashed.add(node);
    for (History.Session s : List.copyOf(current.values())) {
      if (s.join.node.equals(node)) {
        remember(s);
        current.remove(s.join.user, s);
        s.end("node " + node + " crashed");
      }
    }
    for (History.Session s : history.sessions) {
      if (s.join.node.equals(node)) {
        s.end("node " + node + " crashed");
      }
    }
  }

  /** Restarts a crashed node; with {@code createAtOnce}, creates that room on it before it met its peers. */
  private void restart(String node, @Nullable String createAtOnce) {
    if (!crashed.contains(node)) {
      return;
    }
    history.fault("restart " + node + (createAtOnce == null ? "" : " and create " + createAtOnce + " at once"));
    history.nodeEvents.add("restart " + node + " at tick " + history.tick());
    ChatNode n = cluster.restart(node);
    crashed.remove(node);
    if (createAtOnce != null) {
      create(n.id().value(), createAtOnce);
    }
  }

  // ================================================================ end

  private void finish() {
    for (Active a : List.copyOf(active)) {
      a.undo.run();
    }
    active.clear();
    faults.heal();
    stores.values().forEach(s -> s.slow(Duration.ZERO));
    for (String node : List.copyOf(crashed)) {
      restart(node, null);
    }
    history.fault("healed");
    long healedAt = clock.millis();
    settle(() -> cluster.connected() && history.ops.stream().allMatch(o -> o.outcome != History.Outcome.PENDING) && directoriesAgree(),
        SETTLE.toMillis());
    history.directoryConverged = directoriesAgree();
    history.directoryNote = "settled for " + (clock.millis() - healedAt) + " ms of clock time" + (stuck ? " (real-time bound hit)" : "");
    // a little more time for resends of lost tails
    settle(() -> false, 2_000);
    for (ChatNode n : cluster.nodes()) {
      for (RoomSummary s : n.rooms()) {
        history.finalDirectory.add(new History.DirectoryEntry(n.id().value(), s.name(), s.admin().value(), s.available()));
      }
    }
    outstanding.clear();
  }

  private boolean directoriesAgree() {
    Set<String> first = null;
    for (ChatNode n : cluster.nodes()) {
      Set<String> d = new HashSet<>();
      for (RoomSummary s : n.rooms()) {
        d.add(s.name() + "@" + s.admin() + (s.available() ? "" : "(unavailable)"));
      }
      if (first == null) {
        first = d;
      } else if (!first.equals(d)) {
        return false;
      }
    }
    return true;
  }

  // ================================================================ waiting

  /** Waits for {@code f} while the clock moves (so timeouts fire); true if it completed normally. */
  private boolean await(CompletableFuture<?> f) {
    settle(f::isDone, REQUEST_TIMEOUT.toMillis() * 4);
    return f.isDone() && !f.isCompletedExceptionally();
  }

  /**
   * Advances the clock 10 ms per real-time poll, each time only once no envelope waits in a node's
   * inbound queue, until {@code condition} holds or {@code clockMillis} passed; gives up after 20 s
   * of real time (recorded, the history then shows pending ops).
   */
  private void settle(BooleanSupplier condition, long clockMillis) {
    long until = clock.millis() + clockMillis;
    try {
      Awaitility.await().pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(20))
          .until(() -> {
            if (condition.getAsBoolean() || clock.millis() >= until) {
              return true;
            }
            if (network.inFlightCount() == 0) {
              clock.advance(STEP); // only once every node took in what was sent to it
            }
            return false;
          });
    } catch (ConditionTimeoutException e) {
      stuck = true;
    }
  }
}
