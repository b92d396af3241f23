package io.chatmesh;

import io.chatmesh.history.InMemoryHistoryStore;
import io.chatmesh.membership.FailureDetector;
import io.chatmesh.membership.SeedResolver;
import io.chatmesh.sequencer.Sequencer;
import io.chatmesh.spi.engine.NodeConfig;
import io.chatmesh.metrics.MetricsObserver;
import io.chatmesh.metrics.NodeMetricsSnapshot;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.spi.transport.Transports;
import io.chatmesh.time.ChatClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * A chat node embedded in the application: an equal peer of the cluster that hosts rooms, forwards
 * its users' messages to the rooms' administrators and delivers their ordered events.
 *
 * <pre>{@code
 * ChatNode node = ChatNode.builder()
 *     .nodeId("n1")
 *     .transport("grpc", "127.0.0.1:9091")      // or .transport(inMemoryNetwork.transport("n1"))
 *     .seeds("127.0.0.1:9092", "127.0.0.1:9093")
 *     .build()
 *     .start();
 * node.ready().join();                        // met its seeds: it may create rooms now
 * Room room = node.createRoom("general").join();
 * room.join(UserId.of("alice"), event -> System.out.println(event)).join();
 * room.send(UserId.of("alice"), "hello").join();
 * node.close();
 * }</pre>
 *
 * <p>Thread-safe: every method may be called from any thread. Operations that need another node
 * return a {@link CompletableFuture} bounded by the request timeout; they complete exceptionally
 * with {@link ChatException} (never throw), except {@link #start()} and lookups, which throw it.
 * Lifecycle: built, then {@link #start() started} once, then {@link #close() closed} once (close is
 * idempotent; a closed node cannot be restarted, build a new one).
 */
public interface ChatNode extends AutoCloseable {

  /**
   * A builder with the defaults documented on each setter.
   *
   * @return a new builder
   */
  static Builder builder() {
    return new Builder();
  }

  /**
   * This node's id.
   *
   * @return the id given to the builder
   */
  NodeId id();

  /**
   * The address peers reach this node at; known after {@link #start()}.
   *
   * @return the transport's address, e.g. {@code 127.0.0.1:9091}
   */
  String address();

  /**
   * Binds the transport, greets the seeds and starts heartbeats. Returns this node.
   *
   * @throws ChatException UNAVAILABLE if the transport cannot start; BAD_REQUEST if already started
   * @return this node
   */
  ChatNode start();

  /** Says goodbye to peers, stops timers and the transport. Idempotent. */
  @Override
  void close();

  /**
   * Creates a room administered by this node. The name is reserved on every live node first (a
   * two-phase commit in which each must vote READY), so two nodes racing for one name end with
   * exactly one room. The node must be {@link #isReady() ready}, and the nodes asked (this one and
   * its live peers) must be a majority of the cluster it knows (itself, every node it has met and
   * not seen leave, and its seeds): a node that restarted without state, or a partitioned
   * minority, cannot take a name the rest of the cluster holds.
   *
   * @return the room; fails with BAD_REQUEST (invalid name), ROOM_EXISTS, TIMEOUT, or UNAVAILABLE
   *     (the node is not ready yet, or reaches no majority of the cluster it knows; the message
   *     gives the counts; retry later)
   * @param name the room name: 1 to 64 characters from {@code [A-Za-z0-9._-]}
   */
  CompletableFuture<Room> createRoom(String name);

  /**
   * Creates a room owned by {@code owner}: only the owner may {@link Room#delete(UserId) delete}
   * it or edit its invitations, and a private room is joined only by its owner and the users it
   * {@link Room#invite invites} (others get FORBIDDEN). The owner and visibility are the first
   * entry of the room's log. Otherwise like {@link #createRoom(String)}.
   *
   * @param name the room name
   * @param owner the creating user
   * @param privateRoom true for a private room (invitation only), false for a public one
   * @return the room; fails as {@link #createRoom(String)}, or BAD_REQUEST for a null owner
   */
  CompletableFuture<Room> createRoom(String name, UserId owner, boolean privateRoom);

  /**
   * Whether this node may create rooms: it has met all its seeds, or sees a majority of the nodes
   * it knows alive. A node without seeds is ready as soon as it has started (a one-node cluster
   * works). Once true it stays true; each creation still needs a majority (see {@link
   * #createRoom}). Joining, sending and every other operation do not wait for readiness.
   *
   * <p>The default implementation (for test doubles outside a cluster) is always ready.
   *
   * @return whether this node may create rooms
   */
  default boolean isReady() {
    return true;
  }

  /**
   * Completes when this node becomes {@link #isReady() ready} (at once if it is). Dependent actions
   * run on a pool thread, not on the node's own threads. Fails with {@link ChatException} UNAVAILABLE
   * if the node is closed before it was ready; it never times out by itself, so bound the wait
   * ({@code orTimeout}) when the seeds may not come up.
   *
   * <p>The default implementation (for test doubles outside a cluster) is complete.
   *
   * @return a future completed once the node is ready
   */
  default CompletableFuture<Void> ready() {
    return CompletableFuture.completedFuture(null);
  }

  /**
   * A handle to the room of that name if the cluster directory knows it.
   *
   * @param name the room name
   * @return the room, or empty if the directory has no room of that name
   */
  Optional<Room> room(String name);

  /**
   * Every room in the cluster as this node knows it, sorted by name.
   *
   * @return a snapshot of the directory
   */
  List<RoomSummary> rooms();

  /**
   * Peers currently considered alive (not including this node).
   *
   * @return a snapshot of the live peers
   */
  Set<NodeId> liveNodes();

  /**
   * Moves every room this node administers to one of its live replicas ({@link Room#moveTo}), so
   * that the node can be shut down without a failover (the demo does this on Ctrl-C). Rooms keep
   * their local members here until {@link #close()}.
   *
   * <p>From the call on, peers learn that this node drains and move no room to it. A room whose
   * live replicas all drain as well (the whole cluster stops) is left in place at once (logged): it
   * fails over when this node closes, or stops with the cluster. A move whose target starts
   * draining tries the next replica.
   *
   * <p>The default implementation (for test doubles) completes at once.
   *
   * @return completes when every room moved or was left in place because every live replica
   *     drains; fails UNAVAILABLE naming the rooms that could not be moved (no live replica, no
   *     failover configured, or the handover timed out)
   */
  default CompletableFuture<Void> drain() {
    return CompletableFuture.completedFuture(null);
  }

  /**
   * Registers a listener for peers going up and down.
   *
   * @param listener called on a chatmesh thread, one call at a time; must not block
   */
  void addClusterListener(ClusterListener listener);

  /**
   * This node's counters and gauges now (peers, rooms, sends, deliveries, repairs, two-phase
   * commits, lane queues, history backlog, flow control). Cheap enough for every scrape: it reads
   * counters and walks the rooms with local state once; it never blocks on the node's lanes. Works
   * in every lifecycle state. For a metrics library, see the module {@code chatmesh-micrometer}.
   *
   * @return a snapshot of the counters and gauges
   */
  NodeMetricsSnapshot metrics();

  /**
   * Registers an observer of latencies (sequencing on the admin, send to acknowledgement, history
   * appends), called from the node's threads; see {@link MetricsObserver}. Register before traffic
   * starts to see all of it; observers cannot be removed.
   *
   * @param observer called with each latency
   * @throws ChatException BAD_REQUEST if {@code observer} is null
   */
  void addMetricsObserver(MetricsObserver observer);

  /**
   * Whether this node is ready to serve: started, transport listening, in touch with the cluster
   * (when it has seeds), history store not failing. Cheap and non-blocking (no store round trip),
   * so a readiness probe may call it often.
   *
   * @return the checks and their problems
   */
  NodeHealth health();

  /**
   * Configures a {@link ChatNode}. Not thread-safe; build one node per builder. Invalid values fail
   * with {@link ChatException} {@link ErrorCode#BAD_REQUEST} naming the setting.
   */
  final class Builder {
    private @Nullable NodeId nodeId;
    private @Nullable Transport transport;
    private final List<String> seeds = new ArrayList<>();
    private ChatClock clock = ChatClock.system();
    private Duration heartbeatInterval = Duration.ofMillis(500);
    private Duration failureTimeout = Duration.ofSeconds(3);
    private Duration requestTimeout = Duration.ofSeconds(5);
    private Duration prepareTimeout = Duration.ofSeconds(3);
    private int maxTextLength = 4096;
    private int maxRooms = 10_000;
    private int maxMembersPerRoom = 10_000;
    private int resendBufferSize = 10_000;
    private int dedupWindow = 10_000;
    private @Nullable HistoryStore history;
    private int historyInMemoryLimit = InMemoryHistoryStore.DEFAULT_MAX_ENTRIES_PER_ROOM;
    private Sequencer.Factory sequencers = Sequencer::create;
    private FailureDetector.Factory failureDetectors = FailureDetector::timeout;
    private Duration seedResolveInterval = Duration.ofSeconds(10);
    private SeedResolver seedResolver = SeedResolver.system();
    private @Nullable Failover failover;

    Builder() {}

    /**
     * This node's id; required, unique in the cluster.
     *
     * @param id the node id, 1 to 64 characters from {@code [A-Za-z0-9._-]}
     * @return this builder
     */
    public Builder nodeId(String id) {
      this.nodeId = NodeId.of(id);
      return this;
    }

    /**
     * This node's id; required, unique in the cluster.
     *
     * @param id the node id
     * @return this builder
     */
    public Builder nodeId(NodeId id) {
      this.nodeId = require(id, "nodeId");
      return this;
    }

    /**
     * The transport to use (e.g. from {@code InMemoryNetwork}); the node owns and closes it.
     *
     * @param transport an unstarted transport
     * @return this builder
     */
    public Builder transport(Transport transport) {
      this.transport = require(transport, "transport");
      return this;
    }

    /**
     * Picks a transport by provider name through {@link java.util.ServiceLoader}, e.g. {@code
     * transport("grpc", "127.0.0.1:9091")}.
     *
     * @param name the provider's name, e.g. {@code grpc}
     * @param listenAddress where the transport listens, {@code host:port} (port 0 for a free port)
     * @return this builder
     */
    public Builder transport(String name, String listenAddress) {
      this.transport = Transports.create(require(name, "transport name"), require(listenAddress, "listenAddress"));
      return this;
    }

    /**
     * The seeds: nodes to greet on start; others are learned from them. Default none. A node with
     * seeds may create rooms once it has met them (see {@link ChatNode#isReady()}); one without
     * seeds starts a new cluster and is ready at once. This node's own address may be among them
     * (every node of a cluster can be given the same list).
     *
     * <p>Each seed is a transport address ({@code 127.0.0.1:9092}) or {@code dns:NAME:PORT}: every
     * A and AAAA record of NAME, each with PORT, so a Kubernetes headless Service or a Docker
     * Compose service name is enough ({@code dns:chat.default.svc.cluster.local:9091}). NAME is
     * resolved when the node starts and again every {@link #seedResolveInterval(Duration)}, off
     * the node's lanes, by the {@link #seedResolver(SeedResolver)}: new addresses are greeted at
     * once; addresses no longer listed are no longer seeds, but peers already met stay until the
     * failure detector declares them dead; a failed lookup keeps the last answer and is logged
     * once per round. Until NAME resolves to at least one address, it counts as one seed not met,
     * so the node is not ready (as with an unreachable seed); a NAME that resolves to this node
     * alone makes it ready (the first node of a cluster). Resolved addresses are compared with the
     * addresses the nodes announce, so each node should announce the address DNS lists for it
     * (e.g. its pod IP, not a host name).
     *
     * @param addresses the seeds: {@code host:port} transport addresses or {@code dns:NAME:PORT}
     * @return this builder
     * @throws ChatException BAD_REQUEST naming the seed if one is null, blank or a malformed
     *     {@code dns:} seed
     */
    public Builder seeds(String... addresses) {
      for (String a : require(addresses, "seeds")) {
        if (a == null || a.isBlank()) {
          throw new ChatException(ErrorCode.BAD_REQUEST, "seed address must not be null or blank");
        }
        SeedResolver.DnsSeed.parse(a.trim()); // a malformed dns: seed fails here, naming it
        seeds.add(a.trim());
      }
      return this;
    }

    /**
     * The seeds, as {@link #seeds(String...)}.
     *
     * @param addresses the seeds: {@code host:port} transport addresses or {@code dns:NAME:PORT}
     * @return this builder
     */
    public Builder seeds(List<String> addresses) {
      return seeds(require(addresses, "seeds").toArray(new String[0]));
    }

    /**
     * How often {@code dns:NAME:PORT} seeds are resolved again (see {@link #seeds(String...)}),
     * timed by the node's {@link #clock(ChatClock) clock}; each round starts this long after the
     * previous one ended. Default 10 s. The default resolver's answers are also cached by the JVM
     * (see {@link SeedResolver#system()}).
     *
     * @param d the interval, positive
     * @return this builder
     */
    public Builder seedResolveInterval(Duration d) {
      this.seedResolveInterval = positive(d, "seedResolveInterval");
      return this;
    }

    /**
     * What resolves the names of {@code dns:NAME:PORT} seeds. Default {@link SeedResolver#system()}
     * ({@code InetAddress.getAllByName}); tests inject their own records.
     *
     * @param resolver the resolver, called on a thread of the node's own, never on its lanes
     * @return this builder
     */
    public Builder seedResolver(SeedResolver resolver) {
      this.seedResolver = require(resolver, "seedResolver");
      return this;
    }

    /**
     * The clock for every timeout and timer. Default {@link ChatClock#system()}.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(ChatClock clock) {
      this.clock = require(clock, "clock");
      return this;
    }

    /**
     * How often heartbeats are sent. Default 500 ms.
     *
     * @param d the interval, positive
     * @return this builder
     */
    public Builder heartbeatInterval(Duration d) {
      this.heartbeatInterval = positive(d, "heartbeatInterval");
      return this;
    }

    /**
     * Silence after which a peer is declared dead. Default 3 s; must exceed the heartbeat interval.
     *
     * @param d the timeout, at least twice the heartbeat interval
     * @return this builder
     */
    public Builder failureTimeout(Duration d) {
      this.failureTimeout = positive(d, "failureTimeout");
      return this;
    }

    /**
     * Deadline of every request to another node (join, send, leave, info). Default 5 s.
     *
     * @param d the timeout, positive
     * @return this builder
     */
    public Builder requestTimeout(Duration d) {
      this.requestTimeout = positive(d, "requestTimeout");
      return this;
    }

    /**
     * How long a two-phase commit coordinator waits for votes (no vote = ABORT). Default 3 s.
     *
     * @param d the timeout, positive
     * @return this builder
     */
    public Builder prepareTimeout(Duration d) {
      this.prepareTimeout = positive(d, "prepareTimeout");
      return this;
    }

    /**
     * Longest accepted text, in characters. Default 4096.
     *
     * @param chars the limit, positive
     * @return this builder
     */
    public Builder maxTextLength(int chars) {
      this.maxTextLength = positive(chars, "maxTextLength");
      return this;
    }

    /**
     * Rooms this node may administer at once (a limit against room floods: every {@code rooms}
     * listing and directory update grows with the number of rooms). A {@link #createRoom} beyond it
     * fails with {@link ErrorCode#TOO_MANY_ROOMS}. Default 10,000.
     *
     * @param rooms the limit, positive
     * @return this builder
     */
    public Builder maxRooms(int rooms) {
      this.maxRooms = positive(rooms, "maxRooms");
      return this;
    }

    /**
     * Members a room administered by this node may have. A join beyond it fails with {@link
     * ErrorCode#ROOM_FULL}. Default 10,000.
     *
     * @param members the limit, positive
     * @return this builder
     */
    public Builder maxMembersPerRoom(int members) {
      this.maxMembersPerRoom = positive(members, "maxMembersPerRoom");
      return this;
    }

    /**
     * Log entries per room the admin keeps to resend to nodes that missed them. Default 10,000.
     *
     * @param entries the buffer size, positive
     * @return this builder
     */
    public Builder resendBufferSize(int entries) {
      this.resendBufferSize = positive(entries, "resendBufferSize");
      return this;
    }

    /**
     * Client message ids per room remembered to deduplicate retries. Default 10,000.
     *
     * @param entries the window size, positive
     * @return this builder
     */
    public Builder dedupWindow(int entries) {
      this.dedupWindow = positive(entries, "dedupWindow");
      return this;
    }

    /**
     * Where the rooms this node administers keep their logs (history on join, resume, paging, and
     * the rooms restored after a restart). The node owns the store: it closes it on {@link
     * ChatNode#close()}. Default: {@code InMemoryHistoryStore.bounded(historyInMemoryLimit)}, which
     * keeps recent history without a database but nothing across restarts; for durable history use
     * {@code JdbcHistoryStore} from {@code chatmesh-history-jdbc}.
     *
     * <p>Durability rule: the admin acknowledges a send (and a join or leave) only after the
     * store's append future completed, so every acknowledged message is in the store as far as the
     * store promises durability; members receive an entry only after it is durable, too.
     *
     * @param store the store; the node closes it
     * @return this builder
     */
    public Builder history(HistoryStore store) {
      this.history = require(store, "history");
      return this;
    }

    /**
     * Entries per room kept by the default in-memory history store (ignored when {@link
     * #history(HistoryStore)} is set). Default 10,000; older entries are trimmed, and a join or
     * resume that needs them is told {@code recovered = false}.
     *
     * @param entries the limit, positive
     * @return this builder
     */
    public Builder historyInMemoryLimit(int entries) {
      this.historyInMemoryLimit = positive(entries, "historyInMemoryLimit");
      return this;
    }

    /**
     * How the rooms this node administers assign sequence numbers and deduplicate retries: the
     * factory is called each time the node becomes a room's administrator (creating it, or
     * restoring it after a restart). Default {@link Sequencer#create}. See {@link Sequencer} for
     * what an implementation must guarantee: a sequencer that reuses or skips numbers loses
     * messages.
     *
     * @param factory makes one sequencer per administered room
     * @return this builder
     */
    public Builder sequencer(Sequencer.Factory factory) {
      this.sequencers = require(factory, "sequencer");
      return this;
    }

    /**
     * How this node decides which peers are alive: the factory is called once, by {@link
     * #build()}, with the {@link #failureTimeout(Duration) failure timeout}. Default {@link
     * FailureDetector#timeout}. See {@link FailureDetector} for what an implementation must
     * guarantee.
     *
     * @param factory makes the node's detector from the failure timeout
     * @return this builder
     */
    public Builder failureDetector(FailureDetector.Factory factory) {
      this.failureDetectors = require(factory, "failureDetector");
      return this;
    }

    /**
     * Makes this node's rooms survive their admin: replication to a replica set and failover
     * decided by leases (see {@link Failover}). Every node of the cluster must be configured alike.
     * Default: none, a room dies with its admin.
     *
     * @param failover the replication and lease settings
     * @return this builder
     */
    public Builder failover(Failover failover) {
      this.failover = require(failover, "failover");
      return this;
    }

    /**
     * Builds the (unstarted) node.
     *
     * @throws ChatException BAD_REQUEST if the node id or transport is missing or timeouts conflict
     * @return a node that is not started yet
     */
    public ChatNode build() {
      if (nodeId == null) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "nodeId is required");
      }
      if (transport == null) {
        throw new ChatException(
            ErrorCode.BAD_REQUEST, "transport is required: pass transport(...) or transport(\"grpc\", address)");
      }
      if (failureTimeout.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
        throw new ChatException(
            ErrorCode.BAD_REQUEST,
            "failureTimeout (" + failureTimeout + ") must be at least twice heartbeatInterval (" + heartbeatInterval + ")");
      }
      return Engines.provider()
          .create(
              new NodeConfig(
                  nodeId,
                  transport,
                  seeds,
                  clock,
                  heartbeatInterval,
                  failureTimeout,
                  requestTimeout,
                  prepareTimeout,
                  maxTextLength,
                  resendBufferSize,
                  dedupWindow,
                  history != null ? history : InMemoryHistoryStore.bounded(historyInMemoryLimit),
                  sequencers,
                  failureDetectors,
                  maxRooms,
                  maxMembersPerRoom,
                  seedResolveInterval,
                  seedResolver,
                  failover));
    }

    private static <T> T require(@Nullable T value, String what) {
      if (value == null) {
        throw new ChatException(ErrorCode.BAD_REQUEST, what + " must not be null");
      }
      return value;
    }

    private static Duration positive(@Nullable Duration d, String what) {
      require(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new ChatException(ErrorCode.BAD_REQUEST, what + " must be positive, was " + d);
      }
      return d;
    }

    private static int positive(int v, String what) {
      if (v <= 0) {
        throw new ChatException(ErrorCode.BAD_REQUEST, what + " must be positive, was " + v);
      }
      return v;
    }
  }
}
