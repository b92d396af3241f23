package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatMessage;
import io.chatmesh.Room;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.CuttableLeases;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Known violation F1's cause step by step (see KNOWN_VIOLATIONS.md, "Failover"): a node that holds
 * nothing of a room (it lost its store, or deleted the room) must not answer a takeover's {@code
 * Collect} as an empty replica, or the taking-over node counts it towards its majority and adopts a
 * log that misses acknowledged entries (here: an entry acked on the admin and the replica that then
 * lost its disk; the third replica never had it).
 */
class EmptyReplicaCollectTest {
  @RegisterExtension
  final SteppedFailover sf = new SteppedFailover(13);
  private final SteppedCluster stepped = sf.stepped;
  private final CuttableLeases.Net leases = sf.leases;
  private final InMemoryCluster cluster = sf.cluster;

  @Test
  void aNodeThatLostItsStoreDoesNotMakeATakeoverMajorityWithAnEmptyTail() {
    cluster.start();
    stepped.settle(cluster::connected);
    Room r = sf.join(cluster.node("n1").createRoom("general"));
    sf.join(r.join(UserId.of("alice"), e -> { }));
    // n2 does not get the entry: only the admin n1 and the replica n3 hold it (a majority: acked)
    stepped.network.injector().partition(Set.of("n2"), Set.of("n1", "n3"));
    Sent sent = sf.join(r.send(UserId.of("alice"), "kept", "c1"));

    // the admin and n3 die; n3 comes back without its disk, n2 hears it again
    sf.crash("n1");
    sf.crash("n3");
    sf.stores.get("n3").fresh();
    leases.heal("n3");
    cluster.restart("n3");
    stepped.network.injector().partition(Set.copyOf(SteppedFailover.ALL));
    stepped.settle(() -> false, Nemesis.FAILURE_TIMEOUT.toMillis() + 4 * Nemesis.LEASE.toMillis());

    // the admin comes back with its store: whoever administers the room now, the acked entry is there
    leases.heal("n1");
    cluster.restart("n1");
    stepped.settle(() -> false, 10_000);
    assertThat(sf.history("n2", "general")).as("the entry acked at seq " + sent.seq() + " by n1 and n3")
        .filteredOn(m -> m.seq() == sent.seq()).extracting(ChatMessage::text).containsExactly("kept");
  }
}
