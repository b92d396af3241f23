package io.chatmesh.nemesis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatmesh.JoinOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;

/**
 * One failover run over real processes for {@link ProcessFailoverTest}: three {@code Demo --node}
 * JVMs ({@link NodeProcesses}) with the given lease and history arguments, a room created on n1,
 * WebSocket members on every node ({@link WsConnection}, recording into a nemesis {@link History}),
 * two of them on n2 and n3 sending with client ids in a loop (a failed or unanswered send is
 * retried with the same id, as a client library does), then a fault of n1 ({@code kill -9} or
 * {@code SIGTERM}) in the middle of the burst. It measures the time from the signal to the first
 * ack of the new admin (an epoch above the room's first one). Every wait is bounded. Not
 * thread-safe: the test thread drives it; the senders run on the connections' threads.
 */
final class ProcessFailover implements AutoCloseable {
  /** The fault of the admin's process. */
  enum Fault {
    /** {@code kill -9}: no goodbye; the room fails over when n1's lease lapses. */
    KILL,
    /** {@code kill -TERM} (Ctrl-C): the demo drains n1 first, its rooms move at once. */
    TERM
  }

  static final String ADMIN = "n1";
  static final List<String> SENDERS = List.of("alice@n2", "bob@n3");
  static final List<String> LISTENERS = List.of("carol@n2", "dave@n1");
  private static final Duration SETTLE = Duration.ofSeconds(60);
  /** Between an ack and the sender's next message; between a failure and its retry. */
  private static final Duration PACE = Duration.ofMillis(15);
  private static final Duration RETRY = Duration.ofMillis(50);
  private static final Pattern PEERS_LIVE = Pattern.compile("(?m)^chatmesh_peers_live(?:\\{[^}]*})? (\\S+)$");

  final History history;
  final NodeProcesses nodes;
  final String room;
  /** The room's epoch under n1, from the directory before the fault. */
  long firstEpoch;
  final Map<String, WsConnection> members = new TreeMap<>();
  final Map<String, History.Session> sessions = new TreeMap<>();
  final List<Sender> senders = new ArrayList<>();
  /** System.nanoTime() just before the signal; of the first ack with a higher epoch after it (0: none yet). */
  volatile long faultAt;
  final AtomicLong firstNewAck = new AtomicLong();

  ProcessFailover(Path dir, List<String> nodeArgs, String room, String replay) {
    this.history = new History(0, replay);
    this.nodes = new NodeProcesses(dir, nodeArgs);
    this.room = room;
  }

  /** Starts the nodes, waits until each sees the two others, creates the room on n1 and joins every member. */
  void setUp() throws Exception {
    nodes.startAll(3);
    Awaitility.await("every node sees its 2 peers").atMost(SETTLE).pollInterval(Duration.ofMillis(200))
        .until(() -> nodes.ids().stream().allMatch(n -> livePeers(n) == 2));
    WsConnection creator = WsConnection.open(history, ADMIN, nodes.wsPort(ADMIN), "creator");
    Awaitility.await("creation of " + room + " on " + ADMIN).atMost(SETTLE).pollInterval(Duration.ofMillis(500)).until(() -> {
      History.Op op = history.invoke("create", ADMIN, null, room, 1, "");
      ProcessNemesis.await(creator.request(creator.frame("create").put("room", room), null, (r, e) -> creator.complete(op, r, e)));
      return op.outcome == History.Outcome.OK || op.code == io.chatmesh.ErrorCode.ROOM_EXISTS;
    });
    history.definiteCreations.add(room + "#1");
    creator.abort();
    Awaitility.await(room + " listed with admin " + ADMIN + " by every node").atMost(SETTLE).pollInterval(Duration.ofMillis(200))
        .until(() -> nodes.ids().stream().allMatch(n -> (ADMIN + "/true").equals(listing(n, false))));
    firstEpoch = Long.parseLong(listing(ADMIN, true));
    for (String member : concat(SENDERS, LISTENERS)) {
      join(member);
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private void join(String member) throws Exception {
    String user = member.substring(0, member.indexOf('@'));
    String node = member.substring(member.indexOf('@') + 1);
    WsConnection c = WsConnection.open(history, node, nodes.wsPort(node), user);
    History.Op op = history.invoke("join", node, user, room, 1, "");
    History.Session s = new History.Session(history, op, JoinOptions.none(), -1);
    history.sessions.add(s);
    c.session = s;
    ProcessNemesis.await(c.request(c.frame("join").put("room", room), null, (r, e) -> c.complete(op, r, e)));
    if (op.outcome != History.Outcome.OK) {
      throw new IllegalStateException(member + " could not join " + room + ": " + op + "\n" + nodes.tail(node));
    }
    members.put(member, c);
    sessions.put(member, s);
  }

  /** Starts the senders' loops. */
  void startSending() {
    for (String member : SENDERS) {
      Sender s = new Sender(member, members.get(member));
      senders.add(s);
      s.next();
    }
  }

  int acked() {
    return senders.stream().mapToInt(s -> s.acked.size()).sum();
  }

  /** Signals n1 (the admin) and returns once its process is gone; its member's session ends there. */
  void fault(Fault f) throws Exception {
    faultAt = System.nanoTime();
    history.fault((f == Fault.KILL ? "kill -9 " : "kill -TERM ") + ADMIN);
    if (f == Fault.KILL) {
      nodes.kill(ADMIN);
    } else {
      nodes.terminate(ADMIN, Duration.ofSeconds(40));
    }
    for (String member : LISTENERS) {
      if (member.endsWith("@" + ADMIN)) {
        sessions.get(member).end("its node " + ADMIN + " stopped");
        members.get(member).abort();
      }
    }
  }

  /** Milliseconds from the fault to the first ack of the new admin, or -1 if none came yet. */
  long failoverMillis() {
    long t = firstNewAck.get();
    return t == 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(t - faultAt);
  }

  /** Stops the loops after each sender's current message is acked (bounded). */
  void stopSending() {
    senders.forEach(s -> s.stop = true);
    Awaitility.await("every sender's last message acked").atMost(SETTLE).pollInterval(Duration.ofMillis(100))
        .until(() -> senders.stream().allMatch(s -> s.done.isDone()));
  }

  /** The room's entry in a node's directory: "admin/available", or its epoch; null if not listed or no answer. */
  @Nullable String listing(String node, boolean epoch) {
    try {
      WsConnection c = observer(node);
      JsonNode r = c.request(c.frame("rooms").put("limit", 1000), null, null).get(WsConnection.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      for (JsonNode e : r.path("rooms")) {
        if (e.path("room").asText().equals(room)) {
          return epoch ? e.path("epoch").asText() : e.path("admin").asText() + "/" + e.path("available").asBoolean();
        }
      }
      return null;
    } catch (Exception e) {
      return null;
    }
  }

  private final Map<String, WsConnection> observers = new ConcurrentHashMap<>();

  private WsConnection observer(String node) throws Exception {
    return WsConnection.cached(observers, history, node, nodes.wsPort(node), "observer");
  }

  /** chatmesh_peers_live from a node's /metrics, or -1. */
  private int livePeers(String node) {
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + nodes.wsPort(node) + "/metrics")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      Matcher m = PEERS_LIVE.matcher(r.body());
      return m.find() ? (int) Double.parseDouble(m.group(1)) : -1;
    } catch (Exception e) {
      return -1;
    }
  }

  @Override
  public void close() {
    history.frozen = true;
    members.values().forEach(WsConnection::abort);
    observers.values().forEach(WsConnection::abort);
    nodes.close();
  }

  /**
   * One user sending "user-k" with client id "user-k", k = 0, 1, ..., one at a time: after an
   * ack the next one, after a failure (error, timeout, lost connection) the same one again with
   * the same client id, until {@link #stop} is set after an ack.
   */
  final class Sender {
    final String member;
    final String user;
    final WsConnection conn;
    /** Client id -> the ack (OK op), in the order acked. */
    final Map<String, History.Op> acked = new ConcurrentHashMap<>();
    final List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
    final AtomicInteger failures = new AtomicInteger();
    final CompletableFuture<Void> done = new CompletableFuture<>();
    volatile boolean stop;
    private int k;

    Sender(String member, WsConnection conn) {
      this.member = member;
      this.user = member.substring(0, member.indexOf('@'));
      this.conn = conn;
    }

    /** Acks whose epoch is above the room's first one (sequenced by the new admin). */
    long newEpochAcks() {
      return acked.values().stream().filter(op -> op.epoch > firstEpoch).count();
    }

    void next() {
      if (stop || history.frozen) {
        done.complete(null);
        return;
      }
      String cid = user + "-" + k++;
      attempt(cid, null);
    }

    void attempt(String cid, History.@Nullable Op first) {
      if (history.frozen) {
        done.complete(null);
        return;
      }
      History.Op op = history.invoke("send", conn.node, user, room, 1, first == null ? "" : "retry of op#" + first.id);
      op.text = cid;
      op.clientId = cid;
      op.retryOf = first;
      ObjectNode frame = conn.frame("send").put("room", room).put("text", cid);
      conn.request(frame, cid, (r, e) -> conn.complete(op, r, e)).whenComplete((r, e) -> {
        Executor later;
        if (op.outcome == History.Outcome.OK) {
          if (faultAt != 0 && op.epoch > firstEpoch) {
            firstNewAck.compareAndSet(0, System.nanoTime());
          }
          if (acked.putIfAbsent(cid, op) == null) {
            order.add(cid);
          }
          later = CompletableFuture.delayedExecutor(PACE.toMillis(), TimeUnit.MILLISECONDS);
          later.execute(this::next);
        } else {
          failures.incrementAndGet();
          later = CompletableFuture.delayedExecutor(RETRY.toMillis(), TimeUnit.MILLISECONDS);
          later.execute(() -> attempt(cid, first == null ? op : first));
        }
      });
    }
  }
}
