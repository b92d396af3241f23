package io.chatmesh.nemesis;

import io.chatmesh.ChatMessage;
import io.chatmesh.Failover;
import io.chatmesh.Room;
import io.chatmesh.RoomSummary;
import io.chatmesh.lease.InMemoryRoomLeases;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.CuttableLeases;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link SteppedCluster} of n1..n3 with the nemesis's failover settings (replication factor 3,
 * in-memory leases on the cluster's clock with per-node cuttable views) and one {@link
 * KeptHistoryStore} per node, for the step-by-step tests of the failover violations. A test
 * declares it as a {@code @RegisterExtension} field, which closes it after each test. Not
 * thread-safe (one test thread drives it).
 */
final class SteppedFailover implements AutoCloseable, AfterEachCallback {
  static final List<String> ALL = List.of("n1", "n2", "n3");
  final Map<String, KeptHistoryStore> stores = new HashMap<>();
  final SteppedCluster stepped;
  final CuttableLeases.Net leases;
  final InMemoryCluster cluster;

  SteppedFailover(long seed) {
    this(seed, Failover.Acks.REPLICATED);
  }

  /** The same with {@code acks} as the failover's acknowledgement rule. */
  SteppedFailover(long seed, Failover.Acks acks) {
    this(seed, acks, Nemesis.HEARTBEAT);
  }

  /**
   * The same with {@code heartbeat} as every node's heartbeat interval (a longer one leaves a test
   * a window between two heartbeats in which only what an event sent at once arrives).
   */
  SteppedFailover(long seed, Failover.Acks acks, Duration heartbeat) {
    CuttableLeases.Net[] l = new CuttableLeases.Net[1];
    // nodes are built at start, after l[0] and the stores are set
    stepped = new SteppedCluster(ALL.size(), seed, (name, b) -> b.history(stores.get(name)).seeds(ALL).heartbeatInterval(heartbeat)
        .failover(Failover.builder(l[0].view(name))
            .replicationFactor(3)
            .acks(acks)
            .leaseDuration(Nemesis.LEASE)
            .renewInterval(Nemesis.LEASE.dividedBy(4))
            .maxClockDrift(Nemesis.LEASE.dividedBy(10))
            .build()));
    leases = new CuttableLeases.Net(new InMemoryRoomLeases(stepped.clock));
    l[0] = leases;
    cluster = stepped.cluster;
    ALL.forEach(n -> stores.put(n, new KeptHistoryStore(stepped.clock)));
  }

  /** Starts the cluster and creates {@code room} on {@code creator}, its admin. */
  Room startWithRoom(String creator, String room) {
    cluster.start();
    stepped.settle(cluster::connected);
    return join(cluster.node(creator).createRoom(room));
  }

  /**
   * Cuts {@code node} from every other node (it keeps its lease access, so it stays the admin of
   * its rooms) until it declared them all dead.
   */
  void isolateKeepingLease(String node) {
    stepped.network.injector().partition(Set.of(node), ALL.stream().filter(n -> !n.equals(node)).collect(Collectors.toSet()));
    stepped.settle(() -> cluster.node(node).liveNodes().isEmpty(), 3 * Nemesis.FAILURE_TIMEOUT.toMillis());
    if (!cluster.node(node).liveNodes().isEmpty()) {
      throw new AssertionError(node + " did not declare the other nodes dead: it sees " + cluster.node(node).liveNodes());
    }
  }

  /** Kills {@code node} as a process dies: its transport stops and it no longer reaches the leases. */
  void crash(String node) {
    leases.cut(node);
    cluster.crash(node);
  }

  /** Restarts {@code node} with its lease access. */
  void restart(String node) {
    leases.heal(node);
    cluster.restart(node);
  }

  /** The last 10 messages of {@code room} as {@code node} reads them now (empty if it cannot). */
  List<ChatMessage> history(String node, String room) {
    Room r = cluster.node(node).room(room).orElse(null);
    if (r == null) {
      return List.of();
    }
    CompletableFuture<List<ChatMessage>> f = r.history(Long.MAX_VALUE, 10);
    stepped.settle(f::isDone, 3_000);
    return f.isDone() && !f.isCompletedExceptionally() ? f.join() : List.of();
  }

  /** How {@code node}'s directory lists {@code room} now, if it does. */
  Optional<RoomSummary> summary(String node, String room) {
    return cluster.node(node).rooms().stream().filter(x -> x.name().equals(room)).findFirst();
  }

  /** The admin of {@code room} in {@code node}'s directory now, if it lists the room. */
  Optional<String> adminOf(String node, String room) {
    return summary(node, room).map(s -> s.admin().value());
  }

  /**
   * Waits, without moving the clock, until every running node lists {@code room}: its creation's
   * commit reached them all (a test that crashes the creator right after the creation answered
   * would otherwise race the commit messages still on their way).
   */
  void awaitListedEverywhere(String room) {
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
        .until(() -> cluster.nodes().stream().allMatch(n -> n.rooms().stream().anyMatch(x -> x.name().equals(room))));
  }

  /** Whether {@code node}'s directory lists {@code room} as available now. */
  boolean available(String node, String room) {
    return summary(node, room).map(RoomSummary::available).orElse(false);
  }

  /** Waits (moving the clock) for {@code f} and returns its value. */
  <T> T join(CompletableFuture<T> f) {
    stepped.settle(f::isDone);
    return f.join();
  }

  @Override
  public void close() {
    stepped.close();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    close();
  }
}
