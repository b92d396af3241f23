package io.chatmesh.nemesis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatmesh.JoinOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * The nemesis over real processes: three {@code Demo --node} JVMs over gRPC with per-node H2
 * history ({@link NodeProcesses}), users on WebSocket connections ({@link WsConnection}) that
 * join, send with client ids, leave, reconnect to another node and resume, and a seeded schedule
 * of {@code kill -9} (often of a room's admin) with restart under the same id and history, and
 * {@code SIGSTOP}/{@code SIGCONT} of a node held until the others declared it dead (the zombie
 * admin). It records the core nemesis {@link History}, which the same {@link Checker} judges.
 *
 * <p>Room {@code r<i>} is created on {@code n<i>} at the start and never deleted, so every room has
 * one incarnation (label 1). Like the in-process nemesis, the seed fixes the schedule, not the
 * interleaving. Not thread-safe: one thread drives a run.
 */
final class ProcessNemesis {
  static final List<String> ROOMS = List.of("r1", "r2", "r3");
  static final int USERS = 5;
  private static final Duration SETTLE = Duration.ofSeconds(40);

  /** What a run did, for the report line. */
  record Counts(int kills, int pauses, int restarts, int sends, int acked) {}

  private final long seed;
  private final int steps;
  private final Random random;
  private final History history;
  private final NodeProcesses nodes;
  private final Map<String, User> users = new TreeMap<>();
  private final Map<String, WsConnection> observers = new HashMap<>();
  private final Map<History.Op, Integer> attempts = new HashMap<>();
  private final List<History.Op> finalPages = new ArrayList<>();
  /** Every fault that the other nodes noticed. */
  private final List<AdminDeathChecks.Noticed> declaredDead = new ArrayList<>();
  private final Map<String, Long> faultBegan = new HashMap<>();
  private int kills;
  private int pauses;
  private int restarts;

  /** One simulated user: at most one connection and one room at a time. */
  private static final class User {
    final String name;
    String room;
    @Nullable WsConnection conn;
    /** Per room: the (epoch, seq) it saw last, for resume. */
    final Map<String, long[]> seen = new HashMap<>();
    /** Sends whose outcome is unknown (TIMEOUT, UNAVAILABLE, connection lost): retried with their client id. */
    final List<History.Op> unsure = new ArrayList<>();

    User(String name, String room) {
      this.name = name;
      this.room = room;
    }

    History.@Nullable Session live() {
      WsConnection c = conn;
      History.Session s = c == null ? null : c.session;
      return c == null || c.closed || c.toldGone || s == null || s.ended() || s.join.outcome != History.Outcome.OK ? null : s;
    }
  }

  /** One planned fault: at {@code step}, kill or pause a node, undone {@code length} steps later. */
  private record Fault(int step, int length, boolean kill, boolean admin, int node, boolean waitDeclaredDead, boolean midBurst) {}

  /** What runs between firing a burst of sends and awaiting their replies. */
  @FunctionalInterface
  private interface Between {
    void run() throws Exception;
  }

  ProcessNemesis(long seed, int steps, Path dir, String replay) {
    this.seed = seed;
    this.steps = steps;
    this.random = new Random(seed);
    this.history = new History(seed, replay);
    this.nodes = new NodeProcesses(dir);
  }

  History history() {
    return history;
  }

  NodeProcesses nodes() {
    return nodes;
  }

  Counts counts() {
    int sends = 0;
    Set<String> acked = new TreeSet<>();
    for (History.Op op : history.ops) {
      if (op.kind.equals("send")) {
        sends++;
        if (op.outcome == History.Outcome.OK) {
          acked.add(op.text);
        }
      }
    }
    return new Counts(kills, pauses, restarts, sends, acked.size());
  }

  /** Runs the schedule, heals, settles and records the end state. */
  void run() throws Exception {
    nodes.startAll(3);
    for (int i = 0; i < ROOMS.size(); i++) {
      create(nodes.ids().get(i), ROOMS.get(i));
    }
    converge();
    for (int i = 1; i <= USERS; i++) {
      User u = new User("u" + i, ROOMS.get(random.nextInt(ROOMS.size())));
      users.put(u.name, u);
      rejoin(u);
    }
    List<Fault> plan = plan();
    for (int step = 0; step < steps; step++) {
      for (Fault f : plan) {
        if (f.step() == step) {
          begin(f);
        }
        if (f.step() + f.length() == step) {
          end(f);
        }
      }
      clientOp();
    }
    for (Fault f : plan) {
      if (f.step() + f.length() >= steps) {
        end(f);
      }
    }
    finish();
  }

  // ================================================================ faults

  /** Two or three faults in disjoint windows of the run: one node down or paused at a time. */
  private List<Fault> plan() {
    int n = 2 + random.nextInt(2);
    int slot = steps / n;
    List<Fault> plan = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      boolean kill = random.nextInt(10) < 6;
      int length = kill && random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(Math.max(1, slot - 2));
      plan.add(new Fault(i * slot + 1 + random.nextInt(2), length, kill, random.nextInt(10) < 7, random.nextInt(3), random.nextBoolean(),
          random.nextBoolean()));
    }
    return plan;
  }

  private String target(Fault f) {
    if (!f.admin()) {
      return nodes.ids().get(f.node());
    }
    // the admin of the room with the most live members (room r<i> is administered by n<i>)
    Map<String, Integer> members = new TreeMap<>();
    users.values().forEach(u -> {
      if (u.live() != null) {
        members.merge(u.room, 1, Integer::sum);
      }
    });
    String room = members.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(ROOMS.get(f.node()));
    return nodes.ids().get(ROOMS.indexOf(room));
  }

  private final Map<Fault, String> targets = new HashMap<>();

  private void begin(Fault f) throws Exception {
    String node = target(f);
    targets.put(f, node);
    if (f.midBurst()) {
      sendBurst(() -> apply(f, node)); // the fault hits sends in flight
    } else {
      apply(f, node);
    }
  }

  private void apply(Fault f, String node) throws Exception {
    faultBegan.put(node, history.tick());
    if (f.kill()) {
      history.fault("kill -9 " + node + " (admin of " + ROOMS.get(nodes.ids().indexOf(node)) + ")");
      history.nodeEvents.add("crash " + node + " at tick " + history.tick());
      nodes.kill(node);
      kills++;
      crashed(node);
      if (f.length() == 0) {
        restart(node, false);
      }
    } else {
      history.fault("kill -STOP " + node + " (admin of " + ROOMS.get(nodes.ids().indexOf(node)) + ")");
      nodes.pause(node);
      pauses++;
    }
  }

  private void end(Fault f) throws Exception {
    String node = targets.remove(f);
    if (node == null) {
      return;
    }
    if (f.kill()) {
      if (!nodes.alive(node)) {
        restart(node, f.waitDeclaredDead());
      }
    } else if (nodes.paused(node)) {
      awaitDeclaredDead(node); // long enough to be declared dead: it wakes up as a zombie
      history.fault("kill -CONT " + node);
      nodes.resume(node);
    }
  }

  private void restart(String node, boolean declaredDeadFirst) throws Exception {
    if (declaredDeadFirst) {
      awaitDeclaredDead(node);
    }
    history.fault("restart " + node);
    history.nodeEvents.add("restart " + node + " at tick " + history.tick());
    nodes.restart(node);
    restarts++;
  }

  /** Every session and observer through a killed node ended with its process. */
  private void crashed(String node) {
    for (User u : users.values()) {
      WsConnection c = u.conn;
      if (c != null && c.node.equals(node)) {
        drop(u, "node " + node + " crashed");
      }
    }
    WsConnection o = observers.remove(node);
    if (o != null) {
      o.abort();
    }
  }

  /** Waits (bounded) until every other serving node lists the room {@code node} administers as unavailable. */
  private void awaitDeclaredDead(String node) {
    String room = ROOMS.get(nodes.ids().indexOf(node));
    try {
      Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> {
        for (String other : nodes.ids()) {
          if (!other.equals(node) && nodes.serving(other)) {
            Set<String> d = directory(other);
            if (d == null || !d.contains(room + "@" + node + "(unavailable)")) {
              return false;
            }
          }
        }
        return true;
      });
      history.fault(node + " declared dead by the others");
      Long began = faultBegan.get(node);
      if (began != null) {
        declaredDead.add(new AdminDeathChecks.Noticed(node, room, began, history.tick()));
      }
    } catch (ConditionTimeoutException e) {
      history.fault(node + " NOT declared dead within 15 s");
    }
  }

  // ================================================================ clients

  private void clientOp() throws Exception {
    int r = random.nextInt(100);
    User u = users.get("u" + (1 + random.nextInt(USERS)));
    if (r < 12) {
      User out = users.values().stream().filter(x -> x.live() == null).findFirst().orElse(null);
      if (out != null) {
        rejoin(out);
      } else if (usable(u)) {
        leave(u);
      }
    } else if (r < 18) {
      if (usable(u) && u.live() != null) {
        leave(u);
        u.room = ROOMS.get(random.nextInt(ROOMS.size()));
      }
    } else if (r < 28) {
      if (usable(u)) {
        drop(u, "connection closed by the client");
        rejoin(u);
      }
    } else if (r < 36) {
      page(ROOMS.get(random.nextInt(ROOMS.size())), random.nextBoolean() ? 0 : 1 + random.nextInt(40), 1 + random.nextInt(10));
    } else {
      sendBurst(() -> {});
    }
  }

  /** The user's connection is not through a paused node (a user there just waits). */
  private boolean usable(User u) {
    WsConnection c = u.conn;
    return c == null || c.closed || nodes.serving(c.node);
  }

  /**
   * Creates a room before any fault, retrying while the node is not ready yet or has not heard a
   * majority (UNAVAILABLE); ROOM_EXISTS means an earlier attempt took effect.
   */
  private void create(String node, String room) {
    Awaitility.await("creation of " + room + " on " + node).atMost(SETTLE).pollInterval(Duration.ofMillis(500)).until(() -> {
      WsConnection c = observer(node);
      History.Op op = history.invoke("create", node, null, room, 0, "");
      await(c.request(c.frame("create").put("room", room), null, (reply, e) -> c.complete(op, reply, e)));
      return op.outcome == History.Outcome.OK || op.code == io.chatmesh.ErrorCode.ROOM_EXISTS;
    });
    history.definiteCreations.add(room + "#1");
  }

  /** Drops a user's connection; its session ends (the gateway leaves for it). */
  private void drop(User u, String why) {
    WsConnection c = u.conn;
    if (c == null) {
      return;
    }
    History.Session s = c.session;
    if (s != null) {
      remember(u, s);
      s.end(why);
    }
    c.abort();
    u.conn = null;
  }

  /** Gets a user that is not a member back into its room: a fresh connection, resuming from what it saw. */
  private void rejoin(User u) throws Exception {
    if (u.live() != null || !usable(u)) {
      return;
    }
    WsConnection old = u.conn;
    drop(u, old == null ? "" : old.closed ? "connection lost" : "told it is no longer a member");
    List<String> serving = nodes.ids().stream().filter(nodes::serving).toList();
    String node = serving.get(random.nextInt(serving.size()));
    try {
      u.conn = WsConnection.open(history, node, nodes.wsPort(node), u.name);
    } catch (Exception e) {
      history.fault(u.name + " could not connect to " + node + ": " + e);
      return;
    }
    WsConnection c = u.conn;
    long[] seen = u.seen.get(u.room);
    JoinOptions options = seen == null ? JoinOptions.none() : JoinOptions.resume(seen[0], seen[1]);
    History.Op op = history.invoke("join", node, u.name, u.room, 1, options.toString());
    History.Session s = new History.Session(history, op, options, seen == null ? -1 : 1);
    history.sessions.add(s);
    c.toldGone = false;
    c.session = s;
    ObjectNode frame = c.frame("join").put("room", u.room);
    if (seen != null) {
      frame.put("since", seen[1]).put("epoch", seen[0]);
    }
    await(c.request(frame, null, (reply, e) -> c.complete(op, reply, e)));
    if (op.outcome != History.Outcome.OK) {
      s.end("join failed");
      if (!op.definitelyFailed()) {
        drop(u, "join failed");
      } else {
        c.session = null;
      }
      return;
    }
    retryUnsure(u);
  }

  private void leave(User u) throws Exception {
    History.Session s = u.live();
    WsConnection c = u.conn;
    if (s == null || c == null) {
      return;
    }
    remember(u, s);
    History.Op op = history.invoke("leave", c.node, u.name, s.join.room, 1, "");
    s.end("leave op#" + op.id);
    await(c.request(c.frame("leave").put("room", s.join.room), null, (reply, e) -> {
      c.complete(op, reply, e);
      c.session = null;
    }));
    if (op.outcome != History.Outcome.OK) {
      drop(u, "leave failed");
    }
  }

  /**
   * 1-4 sends fired together by joined users, then {@code between}, then the replies awaited;
   * unknown outcomes are retried later with their client id.
   */
  private void sendBurst(Between between) throws Exception {
    int n = 1 + random.nextInt(4);
    List<User> senders = new ArrayList<>();
    List<History.Op> ops = new ArrayList<>();
    List<CompletableFuture<JsonNode>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      User u = users.get("u" + (1 + random.nextInt(USERS)));
      History.Session s = u.live();
      if (s == null || !usable(u) || senders.contains(u)) {
        continue;
      }
      senders.add(u);
      History.Op op = history.invoke("send", s.join.node, u.name, s.join.room, 1, "");
      op.text = "m" + op.id;
      op.clientId = "c" + op.id;
      ops.add(op);
      futures.add(send(u.conn, op));
    }
    between.run();
    for (int i = 0; i < ops.size(); i++) {
      await(futures.get(i));
      if (ops.get(i).outcome == History.Outcome.FAILED && !ops.get(i).definitelyFailed()) {
        senders.get(i).unsure.add(ops.get(i));
      }
    }
    for (User u : senders) {
      retryUnsure(u);
    }
  }

  private CompletableFuture<JsonNode> send(WsConnection c, History.Op op) {
    ObjectNode frame = c.frame("send").put("room", op.room).put("text", op.text);
    return c.request(frame, op.clientId, (reply, e) -> c.complete(op, reply, e));
  }

  /** Resends (same text, same client id) what the user does not know was sequenced, at most 3 times each. */
  private void retryUnsure(User u) throws Exception {
    for (History.Op original : List.copyOf(u.unsure)) {
      History.Session s = u.live();
      if (s == null || !usable(u) || !s.join.room.equals(original.room)) {
        continue;
      }
      History.Op retry = history.invoke("send", s.join.node, u.name, original.room, 1, "retry of op#" + original.id);
      retry.text = original.text;
      retry.clientId = original.clientId;
      retry.retryOf = original;
      await(send(u.conn, retry));
      int n = attempts.merge(original, 1, Integer::sum);
      if (retry.outcome == History.Outcome.OK || retry.definitelyFailed() || n >= 3) {
        u.unsure.remove(original);
      }
    }
  }

  /** A history page of {@code room} read through a serving node ({@code before} 0: the newest). */
  private History.Op page(String room, long before, int limit) throws Exception {
    List<String> serving = nodes.ids().stream().filter(nodes::serving).toList();
    String node = serving.get(random.nextInt(serving.size()));
    WsConnection c = observer(node);
    History.Op op = history.invoke("history", node, null, room, 1, "before " + (before == 0 ? "newest" : before) + " limit " + limit);
    ObjectNode frame = c.frame("history").put("room", room).put("limit", limit);
    if (before > 0) {
      frame.put("before", before);
    }
    await(c.request(frame, null, (reply, e) -> c.complete(op, reply, e)));
    return op;
  }

  private static void remember(User u, History.Session s) {
    long[] last = s.lastPosition();
    if (last != null) {
      u.seen.put(s.join.room, last);
    }
  }


  // ================================================================ observing

  private WsConnection observer(String node) throws Exception {
    return WsConnection.cached(observers, history, node, nodes.wsPort(node), "observer");
  }

  /** The {@code rooms} reply of a node, or null if it did not answer. */
  private @Nullable JsonNode rooms(String node) {
    try {
      WsConnection c = observer(node);
      JsonNode r = c.request(c.frame("rooms").put("limit", 1000), null, null).get(WsConnection.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      return "rooms".equals(r.path("type").asText()) ? r : null;
    } catch (Exception e) {
      return null;
    }
  }

  /** Each node's directory as "room@admin" (with "(unavailable)"), or null for a node that did not answer. */
  private @Nullable Set<String> directory(String node) {
    JsonNode r = rooms(node);
    if (r == null) {
      return null;
    }
    Set<String> d = new TreeSet<>();
    r.path("rooms").forEach(e -> d.add(e.path("room").asText() + "@" + e.path("admin").asText()
        + (e.path("available").asBoolean() ? "" : "(unavailable)")));
    return d;
  }

  /** Waits (bounded) until every node lists every room, available, with the same admin; true if so. */
  private boolean converge() {
    Set<String> expected = new TreeSet<>();
    for (int i = 0; i < ROOMS.size(); i++) {
      expected.add(ROOMS.get(i) + "@" + nodes.ids().get(i));
    }
    try {
      Awaitility.await().atMost(SETTLE).pollInterval(Duration.ofMillis(200))
          .until(() -> nodes.ids().stream().allMatch(n -> expected.equals(directory(n))));
      return true;
    } catch (ConditionTimeoutException e) {
      return false;
    }
  }

  /** Waits (bounded) for a reply whose outcome the request's own callback records. */
  static void await(CompletableFuture<JsonNode> f) {
    try {
      f.get(WsConnection.TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // recorded by the request's own callback (TIMEOUT or UNAVAILABLE)
    }
  }

  // ================================================================ end

  /** Undoes every fault, waits for the directories, brings every user back and lets deliveries settle. */
  private void finish() throws Exception {
    for (String node : nodes.ids()) {
      if (nodes.paused(node)) {
        history.fault("kill -CONT " + node);
        nodes.resume(node);
      }
      if (!nodes.alive(node)) {
        restart(node, false);
      }
    }
    history.fault("healed");
    long healed = System.nanoTime();
    history.directoryConverged = converge();
    history.directoryNote = "settled for " + (System.nanoTime() - healed) / 1_000_000 + " ms of real time";
    for (User u : users.values()) {
      rejoin(u);
    }
    for (User u : users.values()) {
      retryUnsure(u);
    }
    try {
      Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(250))
          .until(() -> Checker.check(history).stream().noneMatch(a -> a.kind() == Checker.Kind.LOST || a.kind() == Checker.Kind.GAP));
    } catch (ConditionTimeoutException e) {
      // the checker reports what is still missing
    }
    for (String room : ROOMS) {
      long before = 0;
      while (true) {
        History.Op op = page(room, before, 1000);
        finalPages.add(op);
        if (op.outcome != History.Outcome.OK || op.page.isEmpty()) {
          break;
        }
        before = op.page.get(0).seq();
      }
    }
    for (String node : nodes.ids()) {
      JsonNode r = rooms(node);
      for (JsonNode e : r == null ? List.<JsonNode>of() : r.path("rooms")) {
        history.finalDirectory.add(new History.DirectoryEntry(node, e.path("room").asText(), e.path("admin").asText(),
            e.path("available").asBoolean()));
      }
    }
    history.frozen = true;
    users.values().forEach(u -> {
      if (u.conn != null) {
        u.conn.abort();
      }
    });
    observers.values().forEach(WsConnection::abort);
  }

  /** The checks of a dead admin's documented guarantees over this run. */
  List<Checker.Anomaly> adminDeathAnomalies() {
    return AdminDeathChecks.check(history, finalPages, declaredDead);
  }
}
