package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatMessage;
import io.chatmesh.Failover;
import io.chatmesh.Room;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.lease.InMemoryRoomLeases;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.CuttableLeases;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Known violation F1's cause step by step (see KNOWN_VIOLATIONS.md, "Failover"): a node that holds
 * nothing of a room (it lost its store, or deleted the room) must not answer a takeover's {@code
 * Collect} as an empty replica, or the taking-over node counts it towards its majority and adopts a
 * log that misses acknowledged entries (here: an entry acked on the admin and the replica that then
 * lost its disk; the third replica never had it).
 */
class EmptyReplicaCollectTest {
  private static final List<String> ALL = List.of("n1", "n2", "n3");
  private final Map<String, KeptHistoryStore> stores = new HashMap<>();
  private final SteppedCluster stepped;
  private final CuttableLeases.Net leases;
  private final InMemoryCluster cluster;

  EmptyReplicaCollectTest() {
    CuttableLeases.Net[] l = new CuttableLeases.Net[1];
    stepped = new SteppedCluster(3, 13, (name, b) -> b.history(stores.get(name)).seeds(ALL)
        .failover(Failover.builder(l[0].view(name))
            .replicationFactor(3)
            .leaseDuration(Nemesis.LEASE)
            .renewInterval(Nemesis.LEASE.dividedBy(4))
            .maxClockDrift(Nemesis.LEASE.dividedBy(10))
            .build()));
    leases = new CuttableLeases.Net(new InMemoryRoomLeases(stepped.clock));
    l[0] = leases;
    cluster = stepped.cluster;
    ALL.forEach(n -> stores.put(n, new KeptHistoryStore(stepped.clock)));
  }

  @AfterEach
  void close() {
    stepped.close();
  }

  @Test
  void aNodeThatLostItsStoreDoesNotMakeATakeoverMajorityWithAnEmptyTail() {
    cluster.start();
    stepped.settle(cluster::connected);
    Room r = join(cluster.node("n1").createRoom("general"));
    join(r.join(UserId.of("alice"), e -> { }));
    // n2 does not get the entry: only the admin n1 and the replica n3 hold it (a majority: acked)
    stepped.network.injector().partition(Set.of("n2"), Set.of("n1", "n3"));
    Sent sent = join(r.send(UserId.of("alice"), "kept", "c1"));

    // the admin and n3 die; n3 comes back without its disk, n2 hears it again
    crash("n1");
    crash("n3");
    stores.get("n3").fresh();
    leases.heal("n3");
    cluster.restart("n3");
    stepped.network.injector().partition(Set.copyOf(ALL));
    stepped.settle(() -> false, Nemesis.FAILURE_TIMEOUT.toMillis() + 4 * Nemesis.LEASE.toMillis());

    // the admin comes back with its store: whoever administers the room now, the acked entry is there
    leases.heal("n1");
    cluster.restart("n1");
    stepped.settle(() -> false, 10_000);
    assertThat(history("n2")).as("the entry acked at seq " + sent.seq() + " by n1 and n3")
        .filteredOn(m -> m.seq() == sent.seq()).extracting(ChatMessage::text).containsExactly("kept");
  }

  private List<ChatMessage> history(String node) {
    Room room = cluster.node(node).room("general").orElse(null);
    if (room == null) {
      return List.of();
    }
    CompletableFuture<List<ChatMessage>> f = room.history(Long.MAX_VALUE, 10);
    stepped.settle(f::isDone, 3_000);
    return f.isDone() && !f.isCompletedExceptionally() ? f.join() : List.of();
  }

  private void crash(String node) {
    leases.cut(node);
    cluster.crash(node);
  }

  private <T> T join(CompletableFuture<T> f) {
    stepped.settle(f::isDone);
    return f.join();
  }
}
