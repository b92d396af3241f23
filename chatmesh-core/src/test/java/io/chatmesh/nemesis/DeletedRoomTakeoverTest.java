package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.Room;
import io.chatmesh.RoomSummary;
import io.chatmesh.UserId;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.CuttableLeases;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

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
  private final SteppedFailover sf = new SteppedFailover(13);
  private final SteppedCluster stepped = sf.stepped;
  private final CuttableLeases.Net leases = sf.leases;
  private final InMemoryCluster cluster = sf.cluster;

  @AfterEach
  void close() {
    sf.close();
  }

  @Test
  void aReplicaThatMissedTheDeletionDoesNotReviveTheRoom() {
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

    // everyone is back: the old admin resumes (it still holds the room, at its old epoch) and the
    // replica that missed the deletion sees no admin for it
    stepped.network.injector().heal();
    stepped.network.injector().resume("n1");
    leases.heal("n1");
    stepped.settle(() -> false, Nemesis.FAILURE_TIMEOUT.toMillis() + 8 * Nemesis.LEASE.toMillis());

    for (String n : SteppedFailover.ALL) {
      assertThat(cluster.node(n).rooms()).as("rooms listed by " + n + " (the deletion by " + taker + " missed by " + missed + ")")
          .extracting(RoomSummary::name).doesNotContain("general");
    }
    // the name is free again: a new room of that name works
    CompletableFuture<Room> again = cluster.node(missed).createRoom("general");
    Room fresh = sf.join(again);
    sf.join(fresh.join(UserId.of("bob"), e -> { }));
    assertThat(sf.join(fresh.send(UserId.of("bob"), "after", "c2")).seq()).isPositive();
    assertThat(sf.history("n1", "general")).extracting(m -> m.text()).doesNotContain("before");
  }

  private java.util.Optional<String> adminOf(String node) {
    return cluster.node(node).rooms().stream().filter(s -> s.name().equals("general") && s.available())
        .map(s -> s.admin().value()).findFirst();
  }
}
