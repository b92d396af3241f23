package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ChatNode;
import io.chatmesh.ClusterListener;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeHealth;
import io.chatmesh.NodeId;
import io.chatmesh.UserId;
import io.chatmesh.Room;
import io.chatmesh.RoomSummary;
import io.chatmesh.UserId;
import io.chatmesh.membership.FailureDetector;
import io.chatmesh.metrics.MetricsObserver;
import io.chatmesh.metrics.NodeMetricsSnapshot;
import io.chatmesh.spi.engine.NodeConfig;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.time.ChatClock;
import io.chatmesh.twopc.TwoPhaseCommit;
import io.chatmesh.twopc.TwoPhaseCommit.Kind;
import io.chatmesh.twopc.TwoPhaseCommit.Outcome;
import io.chatmesh.twopc.TwoPhaseCommit.Transaction;
import io.chatmesh.wire.Goodbye;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.WireMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind a {@link ChatNode}: wires the parts together and implements the API.
 *
 * <ul>
 *   <li>{@link PeerMembership}: peers, heartbeats, failure detection (the detector is the one
 *       source of liveness);
 *   <li>{@link RoomDirectory}: the cluster's rooms as this node knows them;
 *   <li>{@link TwoPhaseCommitEngine} with two participants, {@link NameRegistry} (unique room
 *       names) and {@link RoomDeletion};
 *   <li>{@link RoomState}: one per room with local state, each on its own lane;
 *   <li>{@link MessageRouter} with the table in {@link Routes}: which lane handles which incoming
 *       message.
 * </ul>
 *
 * <p>Threads: node-wide state (membership, directory, two-phase commit) is owned by {@link
 * #nodeLane}; each room's state by its room lane. History-store calls that block (room records,
 * reads) run on a separate pool ({@link #readHistory}, {@link #writeStore}), never on a lane. The
 * API methods may be called from any thread. Internal.
 */
public final class NodeEngine implements ChatNode {
  private static final Logger log = LoggerFactory.getLogger(NodeEngine.class);
  private static final AtomicLong LAST_INCARNATION = new AtomicLong();
  private static final int DIRECTORY_SYNC_TICKS = 10;
  private static final int NEW = 0;
  private static final int RUNNING = 1;
  private static final int CLOSED = 2;

  final NodeConfig settings;
  /** Room creations of this node in flight (counted against {@code maxRooms}). */
  private final AtomicInteger creating = new AtomicInteger();
  final NodeId self;
  final long incarnation;
  final ChatClock clock;
  final HistoryStore history;
  final SerialExecutor nodeLane;
  final PendingRequests requests;
  final PeerMembership peers;
  final RoomDirectory directory;
  /** Readiness and the majority a room creation needs. */
  final ClusterQuorum quorum;
  /** Rooms with local state (administered here or with local members); each touched on its lane. */
  final ConcurrentHashMap<String, RoomState> rooms = new ConcurrentHashMap<>();
  private final Transport transport;
  private final EngineExecutors executors;
  private final NodeLinks links;
  /** The seeds: plain addresses and the answers of {@code dns:} seeds. */
  private final SeedList seeds;
  final TwoPhaseCommitEngine twoPc;
  /** With failover: drops rooms deleted while this node did not hear it; else null. */
  private final @Nullable RetiredRooms retiredRooms;
  final NodeMetrics metrics = new NodeMetrics();
  private final NodeStatus status;
  private final NameRegistry names;
  /** Creations waiting for the directories of live peers (node lane). */
  private final List<Runnable> awaitingDirectories = new ArrayList<>();
  private final MessageRouter router;
  private final List<ClusterListener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicInteger state = new AtomicInteger(NEW);
  private final AtomicLong generatedIds = new AtomicLong();
  private volatile String address = "";
  private volatile ChatClock.Cancellable ticker = () -> {};
  private long ticks;

  private NodeEngine(NodeConfig settings) {
    this.settings = settings;
    this.self = settings.nodeId();
    this.clock = settings.clock();
    this.transport = settings.transport();
    this.history = settings.history();
    // the start time in microseconds by the wall clock (not the injected clock: peers check it is
    // not implausibly far ahead of theirs, see PeerMembership#accept), unique within this JVM
    this.incarnation = nextStamp();
    this.executors = new EngineExecutors(self);
    this.nodeLane = executors.lane(self + "/node");
    this.requests = new PendingRequests(clock, settings.requestTimeout());
    this.links = new NodeLinks(self, incarnation, transport, this::peerAddress, () -> state.get() == CLOSED, this::receiveLocal);
    this.seeds = new SeedList(self, settings.seeds(), settings.seedResolver());
    this.peers = new PeerMembership(settings, seeds, nodeLane, settings.failureDetectors().create(settings.failureTimeout()), links, new PeerEvents());
    this.directory = new RoomDirectory(self, nodeLane, peers, this::send, this::roomGone, settings.failover() == null ? null : this::roomMoved);
    this.quorum = new ClusterQuorum(self, seeds, peers, directory::heardFrom);
    this.twoPc = new TwoPhaseCommitEngine(self, incarnation, nodeLane, clock, settings.prepareTimeout(), this::send, peers::isAlive);
    this.names = new NameRegistry(directory::get, this::nameCommitted, () -> {
      List<String> forgotten = quorum.forgottenDirectories();
      return forgotten.isEmpty() ? null : quorum.notHeard(forgotten);
    }, quorum::awaitsLiveDirectories, clock::millis, settings.prepareTimeout().toMillis() / 2);
    twoPc.register(Kind.RESERVE_NAME, names);
    RoomDeletion deletion = new RoomDeletion(nodeLane, rooms, directory);
    twoPc.register(Kind.DELETE_ROOM, deletion);
    if (settings.failover() != null) {
      twoPc.beforeCommit(Kind.DELETE_ROOM, deletion::retire); // the lease backend is the deletion's commit point
    }
    this.retiredRooms = settings.failover() == null ? null : new RetiredRooms(settings.failover().leases(), nodeLane, directory, rooms);
    this.router = Routes.of(this);
    this.status = new NodeStatus(this, executors.storeLane());
  }

  /** Creates an unstarted node. */
  public static ChatNode create(NodeConfig settings) {
    return new NodeEngine(settings);
  }

  /** The router, for tests. */
  MessageRouter router() {
    return router;
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
      throw failStart("could not restore its rooms from the history store", e);
    }
    try {
      address = transport.start(this::receive);
    } catch (RuntimeException e) {
      throw failStart("could not start its transport", e);
    }
    seeds.listeningAt(address);
    peers.listeningAt(address);
    quorum.listeningAt(address);
    log.info("node {} started at {} (incarnation {}), seeds {}", self, address, incarnation, settings.seeds());
    requests.start();
    nodeLane.execute(this::tick);
    seeds.start(clock, settings.seedResolveInterval(), nodeLane, () -> {
      if (running()) {
        peers.greetSeeds(); // new addresses now, not at the next heartbeat
        quorum.check();
      }
    });
    return this;
  }

  private ChatException failStart(String what, RuntimeException e) {
    state.set(CLOSED);
    executors.shutdownNow();
    history.close();
    return new ChatException(ErrorCode.UNAVAILABLE, "node " + self + " " + what + ": " + e.getMessage(), e);
  }

  @Override
  public void close() {
    int was = state.getAndSet(CLOSED);
    if (was == CLOSED) {
      return;
    }
    ticker.cancel();
    seeds.close();
    quorum.closed();
    requests.stop();
    if (was == RUNNING) {
      peers.sayGoodbye("node " + self + " is shutting down");
    }
    ChatException closed = new ChatException(ErrorCode.UNAVAILABLE, "node " + self + " is closed");
    requests.failAll(closed);
    for (RoomState rs : rooms.values()) {
      rs.lane.execute(() -> {
        rs.nodeClosing(closed); // run before the lanes stop: shutdown drains them
        rs.nodeClosingLease(); // with failover: a replica takes the room over without waiting for the lease to lapse
      });
    }
    transport.close();
    executors.shutdown();
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
   * the first heartbeat's directory sync and every hello). Members are not restored: the log ends
   * the membership of each user it shows as a member (NODE_FAILED). A room whose
   * name another node created meanwhile is logged as a split brain by the directory. The store is
   * read on the calling thread (start may block); the rooms are registered on the node lane.
   */
  private void restoreRooms() {
    List<Runnable> restore = new ArrayList<>();
    for (HistoryStore.StoredRoom sr : history.rooms(self)) {
      String room = sr.room();
      if (settings.failover() != null) {
        // with failover another node may have taken the room over meanwhile: this node takes it
        // back only through the lease and the replicas' tails, like any takeover
        restore.add(() -> {
          RoomState rs = roomState(room, self, sr.epoch());
          rs.lane.execute(rs::replica);
          // once it knows the cluster: the replica set is not stored, so it asks every live node
          quorum.ready().thenRun(() -> rs.lane.execute(rs::startTakeover));
          log.info("node {} tries to take back room '{}' (epoch {}) it administered before its restart", self, room, sr.epoch());
        });
        continue;
      }
      HistoryEntries.StoredLog stored = HistoryEntries.readStoredLog(history, room, settings.dedupWindow());
      restore.add(() -> {
        RoomState rs = roomState(room, self, sr.epoch());
        rs.lane.execute(() -> rs.restoreAdmin(stored.last(), stored.recent(), stored.members(), stored.settings()));
        directory.restored(room, sr.epoch());
        log.info("node {} restored room '{}' (epoch {}, last seq {})", self, room, sr.epoch(), stored.last());
      });
    }
    if (!restore.isEmpty()) {
      CompletableFuture.runAsync(() -> restore.forEach(Runnable::run), nodeLane).join();
    }
  }

  /** Runs a history read off the lanes (dropped once the node is closed). */
  void readHistory(Runnable task) {
    executors.readHistory(task);
  }

  /** Runs a blocking history-store write off the lanes, after those issued before it. */
  void writeStore(String what, Runnable write) {
    executors.writeStore(what, write);
  }

  boolean running() {
    return state.get() == RUNNING;
  }

  void requireRunning() {
    int s = state.get();
    if (s != RUNNING) {
      throw new ChatException(ErrorCode.UNAVAILABLE, "node " + self + (s == NEW ? " is not started" : " is closed"));
    }
  }

  /** A client message id for a send that came without one: unique per node incarnation. */
  String nextClientMessageId() {
    return "~" + self + "." + incarnation + "." + generatedIds.incrementAndGet();
  }

  // ================================================================ API

  @Override
  public void addClusterListener(ClusterListener listener) {
    if (listener == null) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "listener must not be null");
    }
    listeners.add(listener);
  }

  @Override
  public Set<NodeId> liveNodes() {
    return peers.alive();
  }

  boolean isAlive(NodeId node) {
    return peers.isAlive(node);
  }

  /** Whether {@code node} is a peer that said it drains (it is about to stop). Any thread. */
  boolean isDraining(NodeId node) {
    return peers.isDraining(node);
  }

  @Override
  public CompletableFuture<Room> createRoom(String name) {
    return create(name, null, false);
  }

  @Override
  public CompletableFuture<Room> createRoom(String name, UserId owner, boolean privateRoom) {
    if (owner == null) {
      return CompletableFuture.failedFuture(new ChatException(ErrorCode.BAD_REQUEST, "owner must not be null"));
    }
    return create(name, owner, privateRoom);
  }

  private CompletableFuture<Room> create(String name, @Nullable UserId owner, boolean privateRoom) {
    String room;
    try {
      room = Names.checkIdentifier("room name", name);
      requireRunning();
    } catch (ChatException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Room> out = new CompletableFuture<>();
    long deadline = clock.millis() + settings.requestTimeout().toMillis();
    nodeLane.execute(() -> createOnLane(room, owner, privateRoom, out, deadline));
    return out;
  }

  /**
   * A creation on the node lane; while the only directories this node misses are those of live
   * peers it has just met, it waits for them (until {@code deadline}) instead of failing.
   */
  private void createOnLane(String room, @Nullable UserId owner, boolean privateRoom, CompletableFuture<Room> out, long deadline) {
    RoomSummary existing = directory.get(room);
    if (existing != null) {
      out.completeExceptionally(
          new ChatException(ErrorCode.ROOM_EXISTS, "room '" + room + "' already exists (admin " + existing.admin() + ")"));
      return;
    }
    int limit = settings.maxRooms();
    if (directory.ownRooms().size() + creating.get() >= limit) {
      out.completeExceptionally(new ChatException(ErrorCode.TOO_MANY_ROOMS,
          "node " + self + " already administers its maximum of " + limit + " rooms (maxRooms); delete one first"));
      return;
    }
    if (quorum.awaitsLiveDirectories() && clock.millis() < deadline) {
      awaitingDirectories.add(() -> createOnLane(room, owner, privateRoom, out, deadline));
      return;
    }
    Set<NodeId> participants = new TreeSet<>(peers.alive());
    participants.add(self);
    try {
      quorum.requireCreatable(participants); // not ready, or no majority: UNAVAILABLE
    } catch (ChatException e) {
      out.completeExceptionally(e);
      return;
    }
    creating.incrementAndGet();
    // with failover the replica set is chosen now, among the participants, and carried by the
    // reservation: each of them is the room's replica from the commit on (RoomState#createdAsReplica)
    List<NodeId> replicas = settings.failover() == null ? List.of()
        : Replication.choose(room, self, List.copyOf(participants), settings.failover().replicationFactor());
    twoPc.execute(Kind.RESERVE_NAME, room, participants, replicas).whenComplete((r, e) -> {
      creating.decrementAndGet();
      if (r != null) {
        metrics.twoPc(r);
      }
      if (e != null) {
        out.completeExceptionally(ChatException.from(e));
      } else if (r.outcome() == Outcome.COMMITTED) {
        RoomState rs = roomState(room, self, 1);
        if (owner == null) {
          // with failover the room is usable once its admin holds the lease
          rs.adminReady.whenComplete((v, x) -> {
            if (x != null) {
              out.completeExceptionally(ChatException.from(x));
            } else {
              out.complete(new RoomHandle(this, room, self));
            }
          });
          return;
        }
        CompletableFuture<Void> recorded = new CompletableFuture<>();
        rs.adminReady.whenComplete((v, x) -> {
          if (x != null) {
            recorded.completeExceptionally(x);
          } else {
            rs.lane.execute(() -> rs.adminInitSettings(owner, privateRoom, recorded));
          }
        });
        recorded.whenComplete((v, x) -> {
          if (x != null) {
            out.completeExceptionally(ChatException.from(x));
          } else {
            out.complete(new RoomHandle(this, room, self));
          }
        });
      } else {
        out.completeExceptionally(r.failure(ErrorCode.UNAVAILABLE, "could not reserve room name '" + room + "'"));
      }
    });
  }

  /**
   * A directory announcement arrived or a heartbeat passed (node lane): creations and name votes
   * waiting for live peers' directories go on.
   */
  void directoriesChanged() {
    names.directoriesChanged();
    if (!awaitingDirectories.isEmpty()) {
      List<Runnable> again = List.copyOf(awaitingDirectories);
      awaitingDirectories.clear();
      again.forEach(Runnable::run);
    }
  }

  @Override
  public CompletableFuture<Void> drain() {
    if (!running()) {
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.supplyAsync(() -> {
      peers.startDraining(); // before any move: peers draining too pick no room target here
      return directory.ownRooms();
    }, nodeLane).thenCompose(own -> {
      List<CompletableFuture<Void>> moves = new ArrayList<>();
      List<String> failed = java.util.Collections.synchronizedList(new ArrayList<>());
      for (String room : own) {
        RoomState rs = rooms.get(room);
        if (rs == null) {
          continue;
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        rs.lane.execute(() -> rs.drain(f));
        moves.add(f.handle((v, e) -> {
          if (e != null) {
            failed.add(ChatException.from(e).getMessage());
          }
          return null;
        }));
      }
      log.info("node {} drains {} room(s)", self, moves.size());
      return CompletableFuture.allOf(moves.toArray(CompletableFuture[]::new)).thenRun(() -> {
        if (!failed.isEmpty()) {
          throw new ChatException(ErrorCode.UNAVAILABLE, "node " + self + " could not move " + failed.size() + " room(s): " + failed);
        }
        log.info("node {} drained", self);
      });
    });
  }

  @Override
  public boolean isReady() {
    return quorum.isReady();
  }

  @Override
  public CompletableFuture<Void> ready() {
    return quorum.ready();
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
    return directory.list();
  }

  // ================================================================ metrics and health

  @Override
  public NodeMetricsSnapshot metrics() {
    return status.metrics();
  }

  @Override
  public void addMetricsObserver(MetricsObserver observer) {
    if (observer == null) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "metrics observer must not be null");
    }
    metrics.addObserver(observer);
  }

  @Override
  public NodeHealth health() {
    int s = state.get();
    return status.health(s == RUNNING ? null : "node " + self + (s == NEW ? " is not started" : " is closed"), address);
  }

  // ================================================================ rooms

  /** Coordinator side of room deletion; called on the admin's room lane. */
  CompletableFuture<TwoPhaseCommit.Result> deleteRoom(String room, Set<NodeId> participants) {
    CompletableFuture<TwoPhaseCommit.Result> result = twoPc.execute(Kind.DELETE_ROOM, room, participants);
    result.thenAccept(metrics::twoPc); // a deletion is rare: the extra stage costs nothing that matters
    return result;
  }

  /**
   * Runs on the node lane when a name reservation commits, on every participant: the coordinator
   * becomes the room's admin; with failover, each other node of the replica set the reservation
   * carries becomes its replica at once, with an empty log.
   */
  private void nameCommitted(Transaction tx) {
    long epoch = creationEpoch(tx);
    directory.created(tx.room(), tx.coordinator(), epoch);
    if (tx.coordinator().equals(self)) {
      RoomState rs = roomState(tx.room(), self, epoch);
      rs.lane.execute(() -> rs.createdHere(epoch, tx.replicas()));
    } else if (settings.failover() != null && tx.replicas().contains(self) && tx.replicas().contains(tx.coordinator())) {
      RoomSummary now = directory.get(tx.room());
      if (now != null && now.epoch() > epoch) {
        return; // the decision came late, the room has moved on: its admin's Replicate tells this node
      }
      RoomState rs = roomState(tx.room(), tx.coordinator(), epoch);
      rs.lane.execute(() -> rs.createdAsReplica(tx.coordinator(), epoch, tx.replicas()));
    }
  }

  /**
   * A wall-clock time in microseconds, strictly greater than every stamp issued before in this JVM:
   * node incarnations and room creation epochs (a creation's 2PC transaction id ends with it).
   */
  static long nextStamp() {
    return LAST_INCARNATION.updateAndGet(prev -> Math.max(prev + 1, System.currentTimeMillis() * 1000));
  }

  /**
   * The epoch of the room created by name reservation {@code tx}: the stamp its coordinator put at
   * the end of the transaction id ({@code node/incarnation/stamp}), so every participant derives
   * the same epoch, later than the coordinator's start and than its earlier creations. 1 for an id
   * of another form (a peer of an older version).
   */
  static long creationEpoch(Transaction tx) {
    String id = tx.id();
    try {
      return Math.max(1, Long.parseLong(id.substring(id.lastIndexOf('/') + 1)));
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  RoomState roomState(String room, NodeId admin, long epoch) {
    return rooms.computeIfAbsent(room, k -> new RoomState(this, k, admin, epoch, executors.lane(self + "/" + k)));
  }

  /** Drops a room's local state once it has neither admin role nor members here. */
  void forget(RoomState rs) {
    rooms.remove(rs.name, rs);
  }

  /**
   * The directory found that {@code room} as administered by {@code admin} no longer exists (its
   * admin announced so, or it lost a split brain): local members learn it with {@code reason}; if
   * this node is that admin, it drops its room.
   */
  private void roomGone(String room, NodeId admin, String reason) {
    RoomState rs = rooms.get(room);
    if (rs != null && rs.admin.equals(admin)) {
      rs.lane.execute(() -> {
        if (admin.equals(self)) {
          rs.abandon(reason);
        } else {
          rs.memberGone(admin, reason);
        }
      });
    } else if (admin.equals(self)) {
      directory.lostSplitBrain(room); // no local state to end: only the peers need to hear it
    }
  }

  /** With failover: the directory heard of a room's new admin or epoch (node lane). */
  private void roomMoved(String room, NodeId admin, long epoch) {
    RoomState rs = rooms.get(room);
    if (rs != null) {
      rs.lane.execute(() -> rs.adminChanged(admin, epoch));
    }
  }

  /**
   * A replication message (with failover): handled on the room's lane, creating the room's local
   * state if this node has none yet (it becomes a replica). Ignored without failover.
   */
  void replicaMessage(NodeId from, String room, java.util.function.Consumer<RoomState> handle) {
    if (settings.failover() == null || !running()) {
      return;
    }
    RoomState rs = rooms.get(room);
    if (rs == null) {
      RoomSummary s = directory.get(room);
      rs = roomState(room, s != null ? s.admin() : from, s != null ? s.epoch() : 0);
    }
    RoomState target = rs;
    target.lane.execute(() -> {
      if (rooms.get(room) != target) {
        replicaMessage(from, room, handle); // forgotten meanwhile: look up again
        return;
      }
      handle.accept(target);
    });
  }

  /** The live nodes, this one included. */
  List<NodeId> liveNodesAndSelf() {
    List<NodeId> out = new ArrayList<>(peers.alive());
    if (!out.contains(self)) {
      out.add(self);
    }
    return out;
  }

  /** One heartbeat round on the node lane; schedules the next. */
  private void tick() {
    if (!running()) {
      return;
    }
    ticks++;
    peers.tick(clock.millis());
    directoriesChanged();
    if (ticks % DIRECTORY_SYNC_TICKS == 0) {
      directory.sync();
      for (RoomState rs : rooms.values()) {
        rs.lane.execute(rs::checkAdminSilence); // a member node its admin no longer counts resyncs (V13)
      }
      if (retiredRooms != null) {
        retiredRooms.check(); // rooms listed unavailable: deleted while this node did not hear it?
      }
    }
    if (ticks % 2 == 0) {
      for (String room : directory.ownRooms()) {
        RoomState rs = rooms.get(room);
        if (rs != null) {
          rs.lane.execute(rs::adminTail);
        }
      }
      if (settings.failover() != null) {
        for (RoomState rs : rooms.values()) {
          rs.lane.execute(rs::checkTakeover);
        }
      }
    }
    ticker = clock.schedule(settings.heartbeatInterval(), () -> nodeLane.execute(this::tick));
  }

  /** Verdicts of the failure detector, fanned out to everything that depends on them (node lane). */
  private final class PeerEvents implements PeerMembership.Events {
    @Override
    public void nodeUp(NodeId node) {
      log.info("node {} sees {} up", self, node);
      quorum.check();
      directory.nodeUp(node);
      for (RoomState rs : rooms.values()) {
        rs.lane.execute(() -> rs.onNodeUp(node));
      }
      twoPc.onNodeUp(node);
      tellListeners(l -> l.onNodeUp(node));
    }

    @Override
    public void nodeDown(NodeId node, String reason) {
      directory.nodeDown(node);
      requests.failAll(node, new ChatException(ErrorCode.UNAVAILABLE, reason));
      names.onNodeDown(node);
      twoPc.onNodeDown(node);
      for (RoomState rs : rooms.values()) {
        rs.lane.execute(() -> rs.onNodeDown(node, reason));
      }
      tellListeners(l -> l.onNodeDown(node));
    }

    @Override
    public void suspected(NodeId node) {
      metrics.suspicions.increment();
    }

    @Override
    public void greeted(NodeId node) {
      quorum.met(node);
      directory.greeted(node);
    }

    private void tellListeners(Consumer<ClusterListener> call) {
      for (ClusterListener l : listeners) {
        try {
          call.accept(l);
        } catch (RuntimeException e) {
          log.warn("cluster listener failed", e);
        }
      }
    }
  }

  // ================================================================ transport

  void send(NodeId to, WireMessage message) {
    links.send(to, message);
  }

  /** Whether the link to {@code to} takes more traffic without congestion. */
  boolean writable(NodeId to) {
    return links.writable(to);
  }

  private @Nullable String peerAddress(NodeId node) {
    return peers.address(node);
  }

  /** An envelope from the transport: checked by the membership (who may say what) first. */
  private void receive(Envelope e) {
    if (state.get() == RUNNING && peers.accept(e.from(), e.incarnation(), e.message())) {
      router.dispatch(e);
    }
  }

  /** An envelope this node sent itself. */
  private void receiveLocal(Envelope e) {
    if (state.get() == RUNNING) {
      router.dispatch(e);
    }
  }

  @Override
  public String toString() {
    return "ChatNode[" + self + " at " + address + "]";
  }
}
