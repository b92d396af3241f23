package io.chatmesh.nemesis;


import io.chatmesh.ChatNode;
import io.chatmesh.Failover;
import io.chatmesh.JoinOptions;
import io.chatmesh.Room;
import io.chatmesh.RoomListener;
import io.chatmesh.RoomSummary;
import io.chatmesh.lease.InMemoryRoomLeases;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.CuttableLeases;
import io.chatmesh.time.ManualClock;
import io.chatmesh.transport.faults.FaultInjector;
import io.chatmesh.transport.faults.Faults;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
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
  /** With failover: how long a room's lease lasts (renewed every quarter of it, drift bound a tenth). */
  static final Duration LEASE = Duration.ofMillis(2000);
  /** Clock time given to the cluster to converge once every fault stopped. */
  static final Duration SETTLE = Duration.ofSeconds(10);
  private static final Duration STEP = Duration.ofMillis(10);
  static final List<String> ROOMS = List.of("r1", "r2", "r3");
  static final int USERS = 6;

  /**
   * What to run.
   *
   * @param moves how users move between nodes in one step (leave there, join here)
   * @param partitionedCreates clients may create rooms while a partition or pause is on (else those
   *     creations wait for the heal)
   */
  record Config(
      long seed,
      int steps,
      Set<FaultKind> kinds,
      Moves moves,
      boolean partitionedCreates,
      UnaryOperator<RoomListener> listeners,
      boolean brokenDedup,
      Histories.Factory histories,
      Failover.@Nullable Acks failover) {
    Config(long seed, int steps, Set<FaultKind> kinds, Moves moves, boolean partitionedCreates,
        UnaryOperator<RoomListener> listeners, boolean brokenDedup, Histories.Factory histories) {
      this(seed, steps, kinds, moves, partitionedCreates, listeners, brokenDedup, histories, null);
    }

    Config(long seed, int steps, Set<FaultKind> kinds, Moves moves, boolean partitionedCreates) {
      this(seed, steps, kinds, moves, partitionedCreates, l -> l, false, Histories.memory());
    }

    Config(long seed, int steps, Set<FaultKind> kinds, Moves moves, boolean partitionedCreates, Histories.Factory histories) {
      this(seed, steps, kinds, moves, partitionedCreates, l -> l, false, histories);
    }

    Config(long seed, int steps, Set<FaultKind> kinds, Moves moves, boolean partitionedCreates,
        UnaryOperator<RoomListener> listeners, boolean brokenDedup) {
      this(seed, steps, kinds, moves, partitionedCreates, listeners, brokenDedup, Histories.memory());
    }

    String replay() {
      return "mvn -B -o " + histories.replayTest() + " -Dsurefire.failIfNoSpecifiedTests=false"
          + (histories.name().equals("memory") ? "" : " -Dnemesis.history=" + histories.name())
          + " -Dnemesis.seed=" + seed + " -Dnemesis.steps=" + steps + " -Dnemesis.kinds=" + FaultKind.format(kinds)
          + " -Dnemesis.moves=" + moves.name().toLowerCase(java.util.Locale.ROOT) + " -Dnemesis.partitionedCreates=" + partitionedCreates
          + (failover == null ? "" : " -Dnemesis.failover=" + failoverName(failover));
    }

    /** The same run with failover ({@code null}: without). */
    Config withFailover(Failover.@Nullable Acks acks) {
      return new Config(seed, steps, kinds, moves, partitionedCreates, listeners, brokenDedup, histories, acks);
    }
  }

  /** The {@code -Dnemesis.failover} value of {@code acks}: replicated or admin-only. */
  static String failoverName(Failover.Acks acks) {
    return acks == Failover.Acks.REPLICATED ? "replicated" : "admin-only";
  }

  /** Parses {@code -Dnemesis.failover}: off (or absent), replicated, admin-only. */
  static Failover.@Nullable Acks parseFailover(@Nullable String spec) {
    if (spec == null || spec.isBlank() || spec.equals("off")) {
      return null;
    }
    return switch (spec.trim()) {
      case "replicated" -> Failover.Acks.REPLICATED;
      case "admin-only" -> Failover.Acks.ADMIN_ONLY;
      default -> throw new IllegalArgumentException("nemesis.failover must be off, replicated or admin-only, got " + spec);
    };
  }

  /** How a user moves between nodes within one step of the schedule. */
  enum Moves {
    /** Not at all (a user may still leave, and join elsewhere in a later step). */
    NONE,
    /** Leave, wait for it, then join through the other node. */
    SEQUENTIAL,
    /** Leave and join fired together, in either order. */
    CONCURRENT
  }

  private final Config config;
  private final Random random;
  private final ManualClock clock = new ManualClock();
  private final InMemoryNetwork network;
  private final FaultInjector faults;
  private final Histories histories;
  private final Map<String, KeptHistoryStore> stores = new HashMap<>();
  private final InMemoryCluster cluster;
  /** With failover: the shared leases, one cuttable view per node (a crashed or paused node is cut). */
  private final CuttableLeases.@Nullable Net leases;
  private final History history;
  private final List<String> nodeNames = new ArrayList<>();
  private final Set<String> crashed = new TreeSet<>();
  private final Set<String> paused = new TreeSet<>();
  private final List<Active> active = new ArrayList<>();
  private final Clients clients;
  private boolean stuck;

  private record Active(FaultKind kind, String target, int endsAt, Runnable undo) {}

  private Nemesis(Config config) {
    this.config = config;
    this.random = new Random(config.seed);
    this.history = new History(config.seed, config.replay());
    history.failover = config.failover;
    this.leases = config.failover == null ? null : new CuttableLeases.Net(new InMemoryRoomLeases(clock));
    this.network = new InMemoryNetwork(config.seed, clock);
    this.faults = network.injector();
    this.histories = config.histories.create(config.seed);
    int n = 3 + random.nextInt(3);
    for (int i = 1; i <= n; i++) {
      nodeNames.add("n" + i);
      stores.put("n" + i, new KeptHistoryStore(clock, "n" + i, histories).onAppended(history::stored));
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
        // the whole cluster as seeds, as a deployment configures it (InMemoryCluster alone seeds a
        // node with the nodes running when it starts, so a node restarted while another is down
        // would not count that one: V9)
        .configureNode((name, b) -> {
          b.history(stores.get(name).start()).seeds(List.copyOf(nodeNames));
          if (leases != null) {
            b.failover(Failover.builder(leases.view(name))
                .replicationFactor(3)
                .acks(config.failover)
                .leaseDuration(LEASE)
                .renewInterval(LEASE.dividedBy(4))
                .maxClockDrift(LEASE.dividedBy(10))
                .build());
          }
          if (config.brokenDedup) {
            b.sequencer(NoDedupSequencer::create); // the checker's own test: an engine that skips its dedup window
          }
        })
        .build();
    this.clients = new Clients(this, config, random, history);
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
      n.histories.close();
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
      clients.clientOp();
    }
    settle(() -> false, random.nextInt(60));
  }

  ChatNode node(String name) {
    return cluster.node(name);
  }

  boolean crashed(String node) {
    return crashed.contains(node);
  }

  /** Whether a partition or a pause is on now. */
  boolean partitioned() {
    return !paused.isEmpty() || active.stream().anyMatch(a -> a.kind == FaultKind.PARTITION || a.kind == FaultKind.PARTITION_AFTER_VOTE
        || a.kind == FaultKind.ADMIN_PARTITION);
  }

  String liveNode() {
    List<String> up = upNodes();
    return up.get(random.nextInt(up.size()));
  }

  List<String> upNodes() {
    List<String> up = new ArrayList<>(nodeNames);
    up.removeAll(crashed);
    return up;
  }

  @Nullable Room handle(String node, String room) {
    if (crashed.contains(node)) {
      return null;
    }
    return cluster.node(node).room(room).orElse(null);
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
          String user = clients.freeUser();
          if (user != null) {
            clients.joinAs(user, node, ROOMS.get(random.nextInt(ROOMS.size())), false);
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
        clients.sendBurst(false);
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
          clients.create(node, ROOMS.get(random.nextInt(ROOMS.size())));
        } else {
          clients.delete(null);
        }
      }
      case HELD_THEN_RESTART -> {
        History.Session s = clients.anySession();
        Room h = s == null ? null : handle(s.join.node, s.join.room);
        if (s != null && h != null && !crashed.contains(h.admin().value()) && !h.admin().value().equals(s.join.node)) {
          String admin = h.admin().value();
          String member = s.join.node;
          faults.stall(admin, member);
          history.fault("stall " + admin + "->" + member + ", sends held");
          clients.sendBurst(false);
          crash(member);
          restart(member, null);
          faults.unstall(admin, member);
          history.fault("unstall " + admin + "->" + member);
        }
      }
      case DELETE_RECREATE_RESUME -> {
        History.Session s = clients.anySession();
        if (s != null) {
          String user = s.join.user;
          String room = s.join.room;
          clients.sendBurst(true, room);
          if (clients.incarnationEnded(s)) {
            clients.create(liveNode(), room);
            clients.forget(s);
            String at = liveNode();
            long[] seen = clients.lastSeen(user, room);
            if (seen != null) {
              clients.joinAs(user, at, room, true, JoinOptions.resume(Math.max(1, seen[1]), seen[2]), (int) seen[0]);
            }
          }
        }
      }
      case ADMIN_CRASH -> adminCrash(ends);
      case ADMIN_PAUSE -> adminPause(step);
      case ADMIN_PARTITION -> adminPartition(ends);
      case SLOW_STORE -> {
        KeptHistoryStore store = stores.get(node);
        store.slow(REQUEST_TIMEOUT.multipliedBy(3).dividedBy(2));
        begin(kind, node, ends, () -> store.slow(Duration.ZERO));
      }
    }
  }

  // ---------------------------------------------------------------- failover faults

  /** A room's admin to hit: the admin of a member's room, else of any listed room; up, not paused; or null. */
  private @Nullable String adminTarget() {
    List<String> candidates = new ArrayList<>();
    History.Session s = clients.anySession();
    Room h = s == null ? null : handle(s.join.node, s.join.room);
    if (h != null) {
      candidates.add(h.admin().value());
    } else {
      for (String n : upNodes()) {
        for (RoomSummary r : cluster.node(n).rooms()) {
          candidates.add(r.admin().value());
        }
      }
    }
    candidates.removeIf(a -> !nodeNames.contains(a) || crashed.contains(a) || paused.contains(a));
    return candidates.isEmpty() ? null : candidates.get(random.nextInt(candidates.size()));
  }

  private CuttableLeases.Net leases() {
    if (leases == null) {
      throw new IllegalStateException("the failover fault kinds need -Dnemesis.failover=replicated|admin-only");
    }
    return leases;
  }

  /** Gives {@code node} its lease access back unless it is crashed or paused (then its restart or resume does). */
  private void healLeases(String node) {
    if (leases != null && !crashed.contains(node) && !paused.contains(node)) {
      leases.heal(node);
    }
  }

  private void adminCrash(int ends) {
    String admin = adminTarget();
    if (admin == null || upNodes().size() < 2) {
      return;
    }
    // a fresh restart (the node's disk lost) only while nothing else is down: else a majority of a
    // room's replicas could have lost its log, which no replication survives
    boolean fresh = random.nextInt(3) == 0 && active.isEmpty() && crashed.isEmpty() && paused.isEmpty();
    clients.sendBurst(false, null, () -> crash(admin));
    begin(FaultKind.ADMIN_CRASH, admin + (fresh ? ", restarted as a fresh node" : ""), ends, () -> {
      if (fresh && crashed.contains(admin)) {
        stores.get(admin).fresh();
      }
      restart(admin, null);
    });
  }

  private void adminPause(int step) {
    String admin = adminTarget();
    if (admin == null) {
      return;
    }
    clients.sendBurst(false, null, () -> {
      paused.add(admin);
      faults.pause(admin);
      leases().cut(admin); // a stopped process renews nothing: its lease lapses
      history.fault("pause " + admin + " (links and lease access)");
    });
    settle(() -> false, FAILURE_TIMEOUT.toMillis() + LEASE.toMillis() * 2);
    clients.sendBurst(false);
    begin(FaultKind.ADMIN_PAUSE, admin, step + 1 + random.nextInt(3), () -> {
      paused.remove(admin);
      healLeases(admin);
      faults.resume(admin);
    });
  }

  private void adminPartition(int ends) {
    String admin = adminTarget();
    if (admin == null) {
      return;
    }
    boolean keepsLease = random.nextBoolean();
    Set<String> others = new HashSet<>(nodeNames);
    others.remove(admin);
    clients.sendBurst(false, null, () -> {
      faults.partition(Set.of(admin), Set.copyOf(others));
      if (!keepsLease) {
        leases().cut(admin);
      }
      history.fault("partition " + admin + " from " + others + (keepsLease ? " (it keeps its lease access)" : " and from the leases"));
    });
    begin(FaultKind.ADMIN_PARTITION, admin + (keepsLease ? " with lease access" : " without lease access"), ends, () -> {
      faults.partition(Set.copyOf(nodeNames));
      healLeases(admin);
    });
  }

  private void begin(FaultKind kind, String target, int endsAt, Runnable undo) {
    history.fault("start " + kind + " " + target);
    active.add(new Active(kind, target, endsAt, undo));
  }

  private void crash(String node) {
    history.fault("crash " + node);
    history.nodeEvents.add("crash " + node + " at tick " + history.tick());
    if (leases != null) {
      leases.cut(node); // a dead process no longer reaches the consensus engine
    }
    cluster.crash(node);
    crashed.add(node);
    clients.nodeCrashed(node);
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
    crashed.remove(node);
    healLeases(node);
    ChatNode n = cluster.restart(node);
    if (createAtOnce != null) {
      clients.create(n.id().value(), createAtOnce);
    }
  }

  // ================================================================ end

  private void finish() {
    for (Active a : List.copyOf(active)) {
      a.undo.run();
    }
    active.clear();
    faults.heal();
    paused.clear();
    nodeNames.forEach(this::healLeases);
    stores.values().forEach(s -> s.slow(Duration.ZERO));
    for (String node : List.copyOf(crashed)) {
      restart(node, null);
    }
    history.fault("healed");
    long healedAt = clock.millis();
    // with failover a room may first need its lease to lapse and a takeover (retried every other heartbeat)
    settle(() -> cluster.connected() && history.ops.stream().allMatch(o -> o.outcome != History.Outcome.PENDING) && directoriesAgree(),
        leases == null ? SETTLE.toMillis() : SETTLE.toMillis() * 2);
    history.directoryConverged = directoriesAgree();
    history.directoryNote = "settled for " + (clock.millis() - healedAt) + " ms of clock time" + (stuck ? " (real-time bound hit)" : "");
    // a little more time for resends of lost tails
    settle(() -> false, 2_000);
    for (ChatNode n : cluster.nodes()) {
      history.finalNodes.add(n.id().value());
      for (RoomSummary s : n.rooms()) {
        history.finalDirectory.add(new History.DirectoryEntry(n.id().value(), s.name(), s.admin().value(), s.available()));
      }
    }
    clients.outstanding.clear();
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

  /** Lets the clock run half a lease (a takeover in progress may complete). */
  void pauseForTakeover() {
    settle(() -> false, LEASE.toMillis() / 2);
  }

  /** Waits for {@code f} while the clock moves (so timeouts fire); true if it completed normally. */
  boolean await(CompletableFuture<?> f) {
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
