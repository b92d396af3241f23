package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatMessage;
import io.chatmesh.Room;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.CuttableLeases;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Known violation F2 step by step (see KNOWN_VIOLATIONS.md, "Failover"): an admin restarted with
 * its store takes its room back through the lease, but it does not know the room's replica set (the
 * store keeps only the room, its admin and epoch): it must not adopt its own tail alone and then
 * acknowledge entries that no replica holds (REPLICATED acks), which the next failover loses.
 */
class RestartedAdminReplicaSetTest {
  @RegisterExtension
  final SteppedFailover sf = new SteppedFailover(13);
  private final SteppedCluster stepped = sf.stepped;
  private final CuttableLeases.Net leases = sf.leases;
  private final InMemoryCluster cluster = sf.cluster;

  @Test
  void anAdminRestartedWithItsStoreDoesNotAckEntriesNoReplicaHolds() {
    cluster.start();
    stepped.settle(cluster::connected);
    Room r = sf.join(cluster.node("n1").createRoom("general"));
    sf.join(r.join(UserId.of("alice"), e -> { }));
    sf.join(r.send(UserId.of("alice"), "first", "c1"));

    // n1 dies; the others cannot reach the leases for a while, so n1 is back before they could take over
    sf.crash("n1");
    leases.cut("n2");
    leases.cut("n3");
    stepped.settle(() -> false, 2 * Nemesis.LEASE.toMillis());
    leases.heal("n1");
    cluster.restart("n1");
    stepped.settle(() -> false, Nemesis.LEASE.toMillis());
    // whatever n1 answers now (it may not serve the room), what it acks must survive
    Room again = cluster.node("n1").room("general").orElse(null);
    CompletableFuture<Sent> sending = CompletableFuture.failedFuture(new IllegalStateException("n1 does not list the room"));
    if (again != null) {
      CompletableFuture<io.chatmesh.Joined> bob = again.join(UserId.of("bob"), e -> { });
      stepped.settle(bob::isDone, 5_000);
      sending = again.send(UserId.of("bob"), "second", "c2");
      stepped.settle(sending::isDone, 5_000);
    }
    boolean acked = sending.isDone() && !sending.isCompletedExceptionally();

    // n1 dies again; n2 or n3 takes the room over
    sf.crash("n1");
    leases.heal("n2");
    leases.heal("n3");
    stepped.settle(() -> false, Nemesis.FAILURE_TIMEOUT.toMillis() + 4 * Nemesis.LEASE.toMillis());
    if (acked) {
      Sent sent = sending.join();
      assertThat(sent.seq()).isGreaterThan(1);
      assertThat(sf.history("n2", "general")).as("the entry acked at seq " + sent.seq() + " by the restarted admin")
          .filteredOn(m -> m.seq() == sent.seq()).extracting(ChatMessage::text).containsExactly("second");
    }
    assertThat(sf.history("n2", "general")).extracting(ChatMessage::text).contains("first");
  }
}
