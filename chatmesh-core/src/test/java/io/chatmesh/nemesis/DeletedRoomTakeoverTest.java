package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.Room;
import io.chatmesh.RoomSummary;
import io.chatmesh.UserId;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.CuttableLeases;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Known violation F1 step by step, in the shape of seed 336 (see KNOWN_VIOLATIONS.md, "Failover"):
 * the room's admin is paused, a replica takes the room over and deletes it while the third replica
 * is partitioned away; once everyone is back, the third replica (which missed the deletion) sees no
 * admin and tries to take the room over, with the paused old admin - a zombie that still holds the
 * room and answers - as its majority. The deletion is fenced at the lease backend (the room is
 * retired there), so that takeover must fail and end the room, every node must stop listing it, and
 * the name must be free for a new room.
 */
class DeletedRoomTakeoverTest {
  @RegisterExtension
  final SteppedFailover sf = new SteppedFailover(13);
  private final SteppedCluster stepped = sf.stepped;
  private final CuttableLeases.Net leases = sf.leases;
  private final InMemoryCluster cluster = sf.cluster;

  @Test
  void aReplicaThatMissedTheDeletionDoesNotReviveTheRoom() {
    String missed = deleteWhileAReplicaIsAway(m -> { });
    // the replica that missed the deletion sees no admin for the room and tries to take it over
    stepped.settle(() -> false, Nemesis.FAILURE_TIMEOUT.toMillis() + 8 * Nemesis.LEASE.toMillis());

    for (String n : SteppedFailover.ALL) {
      assertThat(cluster.node(n).rooms()).as("rooms listed by " + n + " (the deletion missed by " + missed + "): " + cluster.node(n).rooms())
          .extracting(RoomSummary::name).doesNotContain("general");
    }
    // the name is free again: a new room of that name works
    Room fresh = sf.join(cluster.node(missed).createRoom("general"));
    sf.join(fresh.join(UserId.of("bob"), e -> { }));
    assertThat(sf.join(fresh.send(UserId.of("bob"), "after", "c2")).seq()).isPositive();
    assertThat(sf.history("n1", "general")).extracting(m -> m.text()).contains("after").doesNotContain("before");
  }

  @Test
  void aNodeThatMissedTheDeletionAndCannotTryATakeoverStillDropsTheRoom() {
    String missed = deleteWhileAReplicaIsAway(m -> {
      leases.refuseAcquire(m);
      leases.refuseAcquire("n1");
    });
    // no takeover can tell the nodes that missed the deletion: they ask the lease backend
    stepped.settle(() -> SteppedFailover.ALL.stream().noneMatch(n -> listed(n, "general")),
        Nemesis.FAILURE_TIMEOUT.toMillis() + 8 * Nemesis.LEASE.toMillis());
    for (String n : SteppedFailover.ALL) {
      assertThat(cluster.node(n).rooms()).as("rooms listed by " + n + " (the deletion missed by " + missed + "): " + cluster.node(n).rooms())
          .extracting(RoomSummary::name).doesNotContain("general");
    }
  }

  @Test
  void aDeletionWhoseRetireFailsRollsBackAndTheRoomLivesOn() {
    cluster.start();
    stepped.settle(cluster::connected);
    Room r = sf.join(cluster.node("n1").createRoom("general"));
    sf.join(r.join(UserId.of("alice"), e -> { }));
    sf.join(r.send(UserId.of("alice"), "before", "c1"));
    leases.cut("n1"); // the admin can no longer reach the lease backend: it cannot retire the room
    CompletableFuture<Void> deleting = r.delete();
    stepped.settle(deleting::isDone, 5_000);
    assertThat(deleting).isCompletedExceptionally();
    leases.heal("n1");
    // the room was not deleted: whoever administers it next, its log goes on
    stepped.settle(() -> adminOf("n2").filter(a -> adminOf(a).filter(a::equals).isPresent()).isPresent(),
        Nemesis.FAILURE_TIMEOUT.toMillis() + 8 * Nemesis.LEASE.toMillis());
    String admin = adminOf("n2").orElseThrow();
    Room again = cluster.node(admin).room("general").orElseThrow();
    sf.join(again.join(UserId.of("bob"), e -> { }));
    sf.join(again.send(UserId.of("bob"), "after", "c2"));
    assertThat(sf.history("n3", "general")).extracting(m -> m.text()).contains("before", "after");
  }

  /**
   * n1 creates the room and is paused; n2 or n3 takes it over and deletes it while the other is
   * partitioned away; then everyone is back. {@code then} runs last, given the node that missed the
   * deletion, which is returned.
   */
  private String deleteWhileAReplicaIsAway(Consumer<String> then) {
    cluster.start();
    stepped.settle(cluster::connected);
    Room r = sf.join(cluster.node("n1").createRoom("general"));
    sf.join(r.join(UserId.of("alice"), e -> { }));
    sf.join(r.send(UserId.of("alice"), "before", "c1")); // every replica follows n1 and holds the room

    // the admin n1 stops like a paused process (links and lease access); n2 or n3 takes the room over
    stepped.network.injector().pause("n1");
    leases.cut("n1");
    stepped.settle(() -> adminOf("n2").filter(a -> !a.equals("n1")).isPresent(),
        Nemesis.FAILURE_TIMEOUT.toMillis() + 6 * Nemesis.LEASE.toMillis());
    String taker = adminOf("n2").orElseThrow();
    assertThat(taker).isIn("n2", "n3");
    String missed = taker.equals("n2") ? "n3" : "n2";
    stepped.settle(() -> cluster.node(taker).room("general").isPresent() && adminOf(taker).filter(taker::equals).isPresent());

    // the other replica is partitioned away; the new admin deletes the room without it
    stepped.network.injector().partition(Set.of(missed), Set.of(taker, "n1"));
    stepped.settle(() -> false, Nemesis.FAILURE_TIMEOUT.toMillis() + 500);
    sf.join(cluster.node(taker).room("general").orElseThrow().delete());
    assertThat(cluster.node(taker).rooms()).extracting(RoomSummary::name).doesNotContain("general");
    // everyone is back: the old admin resumes (it still holds the room, at its old epoch)
    stepped.network.injector().heal();
    stepped.network.injector().resume("n1");
    leases.heal("n1");
    then.accept(missed);
    return missed;
  }

  private boolean listed(String node, String room) {
    return cluster.node(node).rooms().stream().anyMatch(s -> s.name().equals(room));
  }

  private java.util.Optional<String> adminOf(String node) {
    return cluster.node(node).rooms().stream().filter(s -> s.name().equals("general") && s.available())
        .map(s -> s.admin().value()).findFirst();
  }
}
