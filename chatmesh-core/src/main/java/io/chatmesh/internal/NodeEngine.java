package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ChatNode;
import io.chatmesh.ClusterListener;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.Room;
import io.chatmesh.RoomSummary;
import io.chatmesh.membership.FailureDetector;
import io.chatmesh.membership.FailureDetector.Change;
import io.chatmesh.spi.engine.NodeConfig;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.time.ChatClock;
import io.chatmesh.twopc.TwoPhaseCommit;
import io.chatmesh.twopc.TwoPhaseCommit.Outcome;
import io.chatmesh.twopc.TwoPhaseCommit.Transaction;
import io.chatmesh.twopc.TwoPhaseCommit.Vote;
import io.chatmesh.wire.Decision;
import io.chatmesh.wire.DecisionQuery;
import io.chatmesh.wire.DirectoryUpdate;
import io.chatmesh.wire.Goodbye;
import io.chatmesh.wire.HistoryReply;
import io.chatmesh.wire.HistoryRequest;
import io.chatmesh.wire.Heartbeat;
import io.chatmesh.wire.Hello;
import io.chatmesh.wire.InfoRequest;
import io.chatmesh.wire.JoinRequest;
import io.chatmesh.wire.LeaveRequest;
import io.chatmesh.wire.Lost;
import io.chatmesh.wire.Prepare;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.ResendRequest;
import io.chatmesh.wire.RoomGone;
import io.chatmesh.wire.RoomTail;
import io.chatmesh.wire.SendRequest;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.SyncRequest;
import io.chatmesh.wire.TxKind;
import io.chatmesh.wire.WireMessage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind a {@link ChatNode}: peers and failure detection, the room directory, name
 * reservation and room deletion (two-phase commit), and dispatch of room traffic to each room's
 * lane ({@link RoomState}). Node-wide state is owned by {@link #nodeLane}. Internal.
 */
public final class NodeEngine implements ChatNode {
  private static final Logger log = LoggerFactory.getLogger(NodeEngine.class);
  private static final AtomicLong LAST_INCARNATION = new AtomicLong();
  private static final int DIRECTORY_SYNC_TICKS = 10;

  final NodeConfig settings;
  final NodeId self;
  final long incarnation;
  final ChatClock clock;
  private final Transport transport;
  private final ExecutorService pool;
  /** Reads the history store off the room lanes (a JDBC store blocks). */
  private final ExecutorService readers;
  final HistoryStore history;
  final SerialExecutor nodeLane;
  final PendingRequests requests;
  private final TwoPhaseCommitEngine twoPc;
  private final NameRegistry names;
  private final FailureDetector detector;
  private final List<ClusterListener> listeners = new CopyOnWriteArrayList<>();

  /** Rooms with local state (administered here or with local members); each touched on its lane. */
  final ConcurrentHashMap<String, RoomState> rooms = new ConcurrentHashMap<>();
  /** The cluster-wide directory as this node knows it; written on the node lane (and counts by room lanes). */
  final ConcurrentHashMap<String, RoomSummary> directory = new ConcurrentHashMap<>();
  /** Known peers' addresses; written on the node lane, read anywhere. */
  private final ConcurrentHashMap<NodeId, String> addresses = new ConcurrentHashMap<>();
  /** Latest incarnation and time heard per peer; written by transport threads, read by the node lane. */
  private final ConcurrentHashMap<NodeId, long[]> heard = new ConcurrentHashMap<>();
  private volatile Set<NodeId> alive = Set.of();
  private final Map<NodeId, Long> directoryVersions = new HashMap<>();
  private final Set<String> ownRooms = new TreeSet<>();
  private final AtomicLong directoryVersion = new AtomicLong();
  private final AtomicInteger state = new AtomicInteger(NEW);
  private volatile String address = "";
  private volatile ChatClock.Cancellable ticker = () -> {};
  private long ticks;
  private final PauseGuard pauseGuard;
  private final AtomicLong generatedIds = new AtomicLong();

  private static final int NEW = 0;
  private static final int RUNNING = 1;
  private static final int CLOSED = 2;

  private NodeEngine(NodeConfig settings) {
    this.settings = settings;
    this.self = settings.nodeId();
    this.clock = settings.clock();
    this.transport = settings.transport();
    this.incarnation = LAST_INCARNATION.updateAndGet(prev -> Math.max(prev + 1, clock.millis() * 1000));
    AtomicInteger threads = new AtomicInteger();
    int n = Math.max(2, Runtime.getRuntime().availableProcessors());
    this.pool =
        Executors.newFixedThreadPool(
            n,
            r -> {
              Thread t = new Thread(r, "chatmesh-" + self + "-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    AtomicInteger readerThreads = new AtomicInteger();
    this.readers =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "chatmesh-" + self + "-history-" + readerThreads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.history = settings.history();
    this.nodeLane = new SerialExecutor(self + "/node", pool);
    this.requests = new PendingRequests(clock, settings.requestTimeout());
    this.detector = settings.failureDetectors().create(settings.failureTimeout());
    this.pauseGuard =
        new PauseGuard(Math.max(settings.heartbeatInterval().toMillis() * 3, settings.failureTimeout().toMillis() / 2));
    this.twoPc =
        new TwoPhaseCommitEngine(
            self, incarnation, nodeLane, clock, settings.prepareTimeout(), this::send, this::isAlive);
    this.names = new NameRegistry(directory, this::nameCommitted);
    twoPc.register(TxKind.RESERVE_NAME, names);
    twoPc.register(TxKind.DELETE_ROOM, new DeletionParticipant());
  }

  /** A client message id for a send that came without one: unique per node incarnation. */
  String nextClientMessageId() {
    return "~" + self + "." + incarnation + "." + generatedIds.incrementAndGet();
  }

  /** Creates an unstarted node. */
  public static ChatNode create(NodeConfig settings) {
    return new NodeEngine(settings);
  }

  // ================================================================ lifecycle

  @Override
  public NodeId id() {
    return self;
  }

  @Override
  public String address() {
    return address;
  }

  @Override
  public ChatNode start() {
    if (!state.compareAndSet(NEW, RUNNING)) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "node " + self + " was already started");
    }
    try {
      restoreRooms();
    } catch (RuntimeException e) {
      state.set(CLOSED);
      pool.shutdownNow();
      readers.shutdownNow();
      history.close();
      throw new ChatException(ErrorCode.UNAVAILABLE, "node " + self + " could not restore its rooms from the history store: " + e.getMessage(), e);
    }
    try {
      address = transport.start(this::receive);
    } catch (RuntimeException e) {
      state.set(CLOSED);
      pool.shutdownNow();
      readers.shutdownNow();
      history.close();
      throw new ChatException(ErrorCode.UNAVAILABLE, "node " + self + " could not start its transport: " + e.getMessage(), e);
    }
    log.info("node {} started at {} (incarnation {}), seeds {}", self, address, incarnation, settings.seeds());
    requests.start();
    nodeLane.execute(this::tick);
    return this;
  }

  @Override
  public void close() {
    int was = state.getAndSet(CLOSED);
    if (was == CLOSED) {
      return;
    }
    ticker.cancel();
    requests.stop();
    if (was == RUNNING) {
      for (NodeId peer : alive) {
        send(peer, new Goodbye("node " + self + " is shutting down"));
      }
    }
    requests.failAll(new ChatException(ErrorCode.UNAVAILABLE, "node " + self + " is closed"));
    transport.close();
    pool.shutdown();
    readers.shutdown();
    try {
      if (!pool.awaitTermination(2, TimeUnit.SECONDS)) {
        pool.shutdownNow();
      }
      if (!readers.awaitTermination(2, TimeUnit.SECONDS)) {
        readers.shutdownNow();
      }
    } catch (InterruptedException e) {
      pool.shutdownNow();
      readers.shutdownNow();
      Thread.currentThread().interrupt();
    }
    try {
      history.close(); // a JDBC store writes what is queued first
    } catch (RuntimeException e) {
      log.warn("node {}: closing the history store failed", self, e);
    }
    log.info("node {} closed", self);
  }

  /**
   * Restores the rooms this node administered before a restart, as recorded in the history store:
   * each continues sequencing after its last stored seq and is announced in the directory (with
   * the first heartbeat's directory sync and every hello). Members are not restored. A room whose
   * name another node created meanwhile is logged as a split brain by the directory (see {@link
   * #onDirectory}); each node then keeps serving its own.
   */
  private void restoreRooms() {
    for (HistoryStore.StoredRoom sr : history.rooms(self)) {
      String room = sr.room();
      long last = history.lastPosition(room).map(HistoryStore.Position::seq).orElse(0L);
      List<Sequenced> recent =
          last == 0 ? List.of() : HistoryEntries.fromStored(history.readBefore(room, Long.MAX_VALUE, settings.dedupWindow()));
      RoomState rs = roomState(room, self, sr.epoch());
      rs.lane.execute(() -> rs.restoreAdmin(last, recent));
      ownRooms.add(room);
      directory.put(room, new RoomSummary(room, self, sr.epoch(), 0, true));
      log.info("node {} restored room '{}' (epoch {}, last seq {})", self, room, sr.epoch(), last);
    }
  }

  /** Runs a history read on the reader executor (dropped once the node is closed). */
  void readHistory(Runnable task) {
    try {
      readers.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("{}: closed, history read dropped", self);
    }
  }

  boolean running() {
    return state.get() == RUNNING;
  }

  @Override
  public void addClusterListener(ClusterListener listener) {
    if (listener == null) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "listener must not be null");
    }
    listeners.add(listener);
  }

  @Override
  public Set<NodeId> liveNodes() {
    return alive;
  }

  boolean isAlive(NodeId node) {
    return node.equals(self) || alive.contains(node);
  }

  // ================================================================ API: rooms

  @Override
  public CompletableFuture<Room> createRoom(String name) {
    String room;
    try {
      room = Names.checkIdentifier("room name", name);
      requireRunning();
    } catch (ChatException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Room> out = new CompletableFuture<>();
    nodeLane.execute(() -> {
      RoomSummary existing = directory.get(room);
      if (existing != null) {
        out.completeExceptionally(
            new ChatException(ErrorCode.ROOM_EXISTS, "room '" + room + "' already exists (admin " + existing.admin() + ")"));
        return;
      }
      Set<NodeId> participants = new TreeSet<>(alive);
      participants.add(self);
      twoPc.execute(TxKind.RESERVE_NAME, room, participants).whenComplete((r, e) -> {
        if (e != null) {
          out.completeExceptionally(ChatException.from(e));
        } else if (r.outcome() == Outcome.COMMITTED) {
          out.complete(new RoomHandle(this, room, self));
        } else {
          out.completeExceptionally(fromReason(r.reason(), ErrorCode.UNAVAILABLE, "could not reserve room name '" + room + "'"));
        }
      });
    });
    return out;
  }

  @Override
  public Optional<Room> room(String name) {
    if (name == null) {
      return Optional.empty();
    }
    RoomSummary s = directory.get(name);
    return s == null ? Optional.empty() : Optional.of(new RoomHandle(this, s.name(), s.admin()));
  }

  @Override
  public List<RoomSummary> rooms() {
    List<RoomSummary> out = new ArrayList<>(directory.values());
    out.sort(Comparator.comparing(RoomSummary::name));
    return out;
  }

  /** Coordinator side of room deletion; called on the admin's room lane. */
  CompletableFuture<TwoPhaseCommit.Result> deleteRoom(String room, Set<NodeId> participants) {
    return twoPc.execute(TxKind.DELETE_ROOM, room, participants);
  }

  /** Runs on the node lane when a name reservation commits, on every participant. */
  private void nameCommitted(Transaction tx) {
    boolean mine = tx.coordinator().equals(self);
    directory.put(tx.room(), new RoomSummary(tx.room(), tx.coordinator(), 1, 0, isAlive(tx.coordinator())));
    if (mine) {
      ownRooms.add(tx.room());
      RoomState rs = roomState(tx.room(), self, 1);
      rs.lane.execute(rs::becomeAdmin);
      // nodes that were not participants (joined meanwhile) learn it here
      broadcastDirectory(false, List.of(tx.room()), List.of());
    }
  }

  /** Called from the admin room lane when its member count changes. */
  void memberCountChanged(String room, int count) {
    directory.computeIfPresent(room, (k, v) -> new RoomSummary(v.name(), v.admin(), v.epoch(), count, v.available()));
  }

  /** Called on the admin's room lane after a committed deletion. */
  void roomDeleted(String room) {
    nodeLane.execute(() -> {
      ownRooms.remove(room);
      directory.remove(room);
      broadcastDirectory(false, List.of(), List.of(room));
    });
  }

  RoomState roomState(String room, NodeId admin, long epoch) {
    return rooms.computeIfAbsent(room, k -> new RoomState(this, k, admin, epoch, new SerialExecutor(self + "/" + k, pool)));
  }

  /** Drops a room's local state once it has neither admin role nor members here. */
  void forget(RoomState rs) {
    rooms.remove(rs.name, rs);
  }

  // ================================================================ transport

  void send(NodeId to, WireMessage message) {
    if (to.equals(self)) {
      receive(new Envelope(self, incarnation, message));
      return;
    }
    String a = addresses.get(to);
    if (a == null) {
      log.debug("{}: no address for {}, dropping {}", self, to, message.getClass().getSimpleName());
      return;
    }
    if (state.get() == CLOSED && !(message instanceof Goodbye)) {
      return;
    }
    transport.send(a, new Envelope(self, incarnation, message));
  }

  /**
   * Whether the transport takes more traffic for {@code to} without congestion (see {@link
   * Transport#isWritable}); this node and unknown nodes count as writable.
   */
  boolean writable(NodeId to) {
    if (to.equals(self)) {
      return true;
    }
    String a = addresses.get(to);
    return a == null || transport.isWritable(a);
  }

  private void sendTo(String addr, WireMessage message) {
    transport.send(addr, new Envelope(self, incarnation, message));
  }

  private void receive(Envelope e) {
    if (state.get() != RUNNING) {
      return;
    }
    NodeId from = e.from();
    WireMessage m = e.message();
    if (!from.equals(self)) {
      long now = clock.millis();
      long[] prev = heard.get(from);
      if (prev == null || prev[0] != e.incarnation() || prev[1] != now) {
        if (prev != null && e.incarnation() < prev[0]) {
          return; // from an earlier life of that node: stale
        }
        heard.put(from, new long[] {e.incarnation(), now});
        if (prev == null || prev[0] != e.incarnation() || !alive.contains(from)) {
          long inc = e.incarnation();
          nodeLane.execute(() -> changes(detector.heard(from, inc, clock.millis())));
        }
      }
    }
    if (m instanceof Sequenced s) {
      memberRoom(s.room(), rs -> rs.memberDeliver(s));
    } else if (m instanceof SendRequest r) {
      adminRoom(from, r.room(), r.requestId(), rs -> rs.adminSend(from, r, reply -> send(from, reply)));
    } else if (m instanceof Reply r) {
      requests.onReply(r);
    } else if (m instanceof Heartbeat) {
      // liveness was recorded above
    } else if (m instanceof Hello h) {
      nodeLane.execute(() -> onHello(from, e.incarnation(), h));
    } else if (m instanceof Goodbye g) {
      nodeLane.execute(() -> onGoodbye(from, g));
    } else if (m instanceof DirectoryUpdate d) {
      nodeLane.execute(() -> onDirectory(from, d));
    } else if (m instanceof Prepare p) {
      nodeLane.execute(() -> twoPc.onPrepare(from, p));
    } else if (m instanceof io.chatmesh.wire.Vote v) {
      nodeLane.execute(() -> twoPc.onVote(from, v));
    } else if (m instanceof Decision d) {
      nodeLane.execute(() -> twoPc.onDecision(from, d));
    } else if (m instanceof DecisionQuery q) {
      nodeLane.execute(() -> twoPc.onDecisionQuery(from, q));
    } else if (m instanceof JoinRequest r) {
      adminRoom(from, r.room(), r.requestId(), rs -> rs.adminJoin(from, r.user(), r.requestId(), reply -> send(from, reply)));
    } else if (m instanceof LeaveRequest r) {
      adminRoom(from, r.room(), r.requestId(), rs -> rs.adminLeave(from, r.user(), r.requestId(), reply -> send(from, reply)));
    } else if (m instanceof InfoRequest r) {
      adminRoom(from, r.room(), r.requestId(), rs -> send(from, rs.adminInfo(r.requestId())));
    } else if (m instanceof SyncRequest r) {
      adminRoom(from, r.room(), r.requestId(), rs -> send(from, rs.adminSync(from, r)));
    } else if (m instanceof ResendRequest r) {
      adminRoom(from, r.room(), -1, rs -> rs.adminResend(from, r));
    } else if (m instanceof Lost l) {
      memberRoom(l.room(), rs -> rs.memberLost(l));
    } else if (m instanceof RoomTail t) {
      memberRoom(t.room(), rs -> rs.memberTail(from, t));
    } else if (m instanceof HistoryRequest r) {
      adminRoom(from, r.room(), r.requestId(), rs -> rs.adminHistory(from, r));
    } else if (m instanceof HistoryReply r) {
      requests.onReply(r.requestId(), r);
    } else if (m instanceof RoomGone g) {
      memberRoom(g.room(), rs -> rs.memberGone(from, g.reason()));
    }
  }

  /** Runs {@code action} on the lane of a room this node administers, or answers UNKNOWN_ROOM. */
  private void adminRoom(NodeId from, String room, long requestId, java.util.function.Consumer<RoomState> action) {
    RoomState rs = rooms.get(room);
    if (rs == null) {
      if (requestId >= 0) {
        send(from, Reply.error(requestId, ErrorCode.UNKNOWN_ROOM, "node " + self + " does not administer room '" + room + "'"));
      } else {
        send(from, new RoomGone(room, "node " + self + " does not administer room '" + room + "'"));
      }
      return;
    }
    rs.lane.execute(() -> {
      if (!rs.isAdmin()) {
        if (requestId >= 0) {
          send(from, Reply.error(requestId, ErrorCode.UNKNOWN_ROOM, "node " + self + " does not administer room '" + room + "'"));
        } else {
          send(from, new RoomGone(room, "node " + self + " does not administer room '" + room + "'"));
        }
        return;
      }
      action.accept(rs);
    });
  }

  private void memberRoom(String room, java.util.function.Consumer<RoomState> action) {
    RoomState rs = rooms.get(room);
    if (rs != null) {
      rs.lane.execute(() -> action.accept(rs));
    }
  }

  // ================================================================ membership and directory

  private void tick() {
    if (!running()) {
      return;
    }
    ticks++;
    long now = clock.millis();
    for (Map.Entry<NodeId, long[]> h : heard.entrySet()) {
      changes(detector.heard(h.getKey(), h.getValue()[0], h.getValue()[1]));
    }
    long paused = pauseGuard.tick(now);
    if (paused > 0) {
      log.info("node {} was paused for {} ms; not judging peers this round", self, paused);
    } else {
      changes(detector.check(now));
    }
    Heartbeat hb = new Heartbeat(now);
    for (NodeId peer : addresses.keySet()) {
      send(peer, hb);
    }
    for (String seed : settings.seeds()) {
      if (!addresses.containsValue(seed) && !seed.equals(address)) {
        sendTo(seed, hello(false));
      }
    }
    if (ticks % DIRECTORY_SYNC_TICKS == 0) {
      broadcastDirectory(true, List.copyOf(ownRooms), List.of());
    }
    if (ticks % 2 == 0) {
      for (String room : ownRooms) {
        RoomState rs = rooms.get(room);
        if (rs != null) {
          rs.lane.execute(rs::adminTail);
        }
      }
    }
    ticker = clock.schedule(settings.heartbeatInterval(), () -> nodeLane.execute(this::tick));
  }

  private Hello hello(boolean reply) {
    List<Hello.Peer> peers = new ArrayList<>();
    for (NodeId p : alive) {
      String a = addresses.get(p);
      if (a != null) {
        peers.add(new Hello.Peer(p, a));
      }
    }
    return new Hello(WireMessage.PROTOCOL_VERSION, address, reply, peers);
  }

  private void onHello(NodeId from, long inc, Hello h) {
    if (h.protocolVersion() != WireMessage.PROTOCOL_VERSION) {
      String why =
          "node " + self + " speaks chatmesh protocol " + WireMessage.PROTOCOL_VERSION + " but node " + from + " at "
              + h.address() + " speaks " + h.protocolVersion() + "; refusing it";
      log.error(why);
      sendTo(h.address(), new Goodbye(why));
      heard.remove(from);
      changes(detector.down(from));
      return;
    }
    if (from.equals(self)) {
      return;
    }
    String old = addresses.put(from, h.address());
    if (old == null || !old.equals(h.address())) {
      log.info("node {} learned peer {} at {}", self, from, h.address());
    }
    changes(detector.heard(from, inc, clock.millis()));
    if (!h.reply()) {
      send(from, hello(true));
    }
    send(from, directorySnapshot());
    for (Hello.Peer p : h.peers()) {
      if (!p.node().equals(self) && !addresses.containsKey(p.node())) {
        sendTo(p.address(), hello(false));
      }
    }
  }

  private void onGoodbye(NodeId from, Goodbye g) {
    log.info("node {} got goodbye from {}: {}", self, from, g.reason());
    heard.remove(from);
    for (Change c : detector.down(from)) {
      nodeDown(c.node(), "node " + c.node() + " said goodbye: " + g.reason());
    }
  }

  private DirectoryUpdate directorySnapshot() {
    List<DirectoryUpdate.Entry> entries = new ArrayList<>();
    for (String r : ownRooms) {
      RoomSummary s = directory.get(r);
      entries.add(new DirectoryUpdate.Entry(r, self, s == null ? 1 : s.epoch(), s == null ? 0 : s.memberCount()));
    }
    return new DirectoryUpdate(directoryVersion.incrementAndGet(), true, entries, List.of());
  }

  private void broadcastDirectory(boolean full, List<String> upserts, List<String> removed) {
    DirectoryUpdate u;
    if (full) {
      u = directorySnapshot();
    } else {
      List<DirectoryUpdate.Entry> entries = new ArrayList<>();
      for (String r : upserts) {
        RoomSummary s = directory.get(r);
        if (s != null) {
          entries.add(new DirectoryUpdate.Entry(r, self, s.epoch(), s.memberCount()));
        }
      }
      u = new DirectoryUpdate(directoryVersion.incrementAndGet(), false, entries, removed);
    }
    for (NodeId peer : alive) {
      send(peer, u);
    }
  }

  private void onDirectory(NodeId from, DirectoryUpdate u) {
    Long seen = directoryVersions.get(from);
    if (seen != null && u.version() <= seen && u.full()) {
      return; // a stale snapshot overtaken by a newer update
    }
    directoryVersions.merge(from, u.version(), Math::max);
    boolean up = isAlive(from);
    Set<String> listed = new HashSet<>();
    for (DirectoryUpdate.Entry e : u.rooms()) {
      listed.add(e.room());
      RoomSummary cur = directory.get(e.room());
      if (cur != null && !cur.admin().equals(e.admin()) && cur.admin().equals(self)) {
        log.error("room '{}' is claimed by {} but administered here on {}: split brain, keeping ours", e.room(), e.admin(), self);
        continue;
      }
      directory.put(e.room(), new RoomSummary(e.room(), e.admin(), e.epoch(), e.memberCount(), up));
    }
    List<String> gone = new ArrayList<>(u.removed());
    if (u.full()) {
      directory.values().forEach(s -> {
        if (s.admin().equals(from) && !listed.contains(s.name())) {
          gone.add(s.name());
        }
      });
    }
    for (String room : gone) {
      RoomSummary s = directory.get(room);
      if (s != null && s.admin().equals(from)) {
        directory.remove(room);
        RoomState rs = rooms.get(room);
        if (rs != null) {
          rs.lane.execute(() -> rs.memberGone(from, "room no longer exists on its admin node " + from));
        }
      }
    }
  }

  private void changes(List<Change> changes) {
    for (Change c : changes) {
      switch (c.kind()) {
        case UP -> nodeUp(c.node());
        case DOWN -> nodeDown(c.node(), "node " + c.node() + " stopped answering heartbeats");
        case RESTARTED -> {
          nodeDown(c.node(), "node " + c.node() + " restarted");
          nodeUp(c.node());
        }
      }
    }
  }

  private void nodeUp(NodeId node) {
    Set<NodeId> a = new TreeSet<>(alive);
    a.add(node);
    alive = Set.copyOf(a);
    log.info("node {} sees {} up", self, node);
    directory.replaceAll((k, v) -> v.admin().equals(node) ? new RoomSummary(v.name(), v.admin(), v.epoch(), v.memberCount(), true) : v);
    if (!addresses.containsKey(node)) {
      // heard from it before its hello: greet when we learn its address (its hello will come)
      log.debug("node {} has no address for {} yet", self, node);
    } else {
      send(node, directorySnapshot());
    }
    for (RoomState rs : rooms.values()) {
      rs.lane.execute(() -> rs.onNodeUp(node));
    }
    twoPc.onNodeUp(node);
    for (ClusterListener l : listeners) {
      try {
        l.onNodeUp(node);
      } catch (RuntimeException e) {
        log.warn("cluster listener failed", e);
      }
    }
  }

  private void nodeDown(NodeId node, String reason) {
    Set<NodeId> a = new TreeSet<>(alive);
    a.remove(node);
    alive = Set.copyOf(a);
    log.warn("node {} declares {} dead: {}", self, node, reason);
    directory.replaceAll((k, v) -> v.admin().equals(node) ? new RoomSummary(v.name(), v.admin(), v.epoch(), v.memberCount(), false) : v);
    requests.failAll(node, new ChatException(ErrorCode.UNAVAILABLE, reason));
    names.onNodeDown(node);
    twoPc.onNodeDown(node);
    for (RoomState rs : rooms.values()) {
      rs.lane.execute(() -> rs.onNodeDown(node, reason));
    }
    for (ClusterListener l : listeners) {
      try {
        l.onNodeDown(node);
      } catch (RuntimeException e) {
        log.warn("cluster listener failed", e);
      }
    }
  }

  // ================================================================ helpers

  void requireRunning() {
    int s = state.get();
    if (s != RUNNING) {
      throw new ChatException(ErrorCode.UNAVAILABLE, "node " + self + (s == NEW ? " is not started" : " is closed"));
    }
  }

  @Nullable RoomSummary directoryEntry(String room) {
    return directory.get(room);
  }

  /** Parses {@code "CODE: detail"} reasons produced by participants into a ChatException. */
  static ChatException fromReason(String reason, ErrorCode fallback, String context) {
    int colon = reason.indexOf(':');
    if (colon > 0) {
      try {
        ErrorCode code = ErrorCode.valueOf(reason.substring(0, colon));
        return new ChatException(code, reason.substring(colon + 1).trim());
      } catch (IllegalArgumentException ignored) {
        // not a coded reason
      }
    }
    return new ChatException(fallback, context + ": " + reason);
  }

  /** DELETE_ROOM participant: votes on the room's lane. */
  private final class DeletionParticipant implements TwoPhaseCommit.Participant {
    @Override
    public CompletionStage<Vote> prepare(Transaction tx) {
      RoomState rs = rooms.get(tx.room());
      if (rs == null) {
        return CompletableFuture.completedFuture(Vote.readyVote());
      }
      CompletableFuture<Vote> v = new CompletableFuture<>();
      rs.lane.execute(() -> v.complete(rs.prepareDelete(tx)));
      return v;
    }

    @Override
    public void commit(Transaction tx) {
      RoomSummary s = directory.get(tx.room());
      if (s != null && s.admin().equals(tx.coordinator())) {
        directory.remove(tx.room());
      }
      RoomState rs = rooms.get(tx.room());
      if (rs != null) {
        rs.lane.execute(() -> rs.commitDelete(tx));
      }
    }

    @Override
    public void rollback(Transaction tx) {
      if (tx.room().isEmpty()) {
        for (RoomState rs : rooms.values()) {
          rs.lane.execute(() -> rs.rollbackDelete(tx));
        }
        return;
      }
      RoomState rs = rooms.get(tx.room());
      if (rs != null) {
        rs.lane.execute(() -> rs.rollbackDelete(tx));
      }
    }
  }

  @Override
  public String toString() {
    return "ChatNode[" + self + " at " + address + "]";
  }
}
