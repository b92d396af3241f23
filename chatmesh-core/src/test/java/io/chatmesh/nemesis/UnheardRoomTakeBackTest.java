package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.NodeId;
import io.chatmesh.Room;
import io.chatmesh.RoomSummary;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.CuttableLeases;
import io.chatmesh.wire.Collect;
import io.chatmesh.wire.Replicate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Known violation F3's causes step by step (see KNOWN_VIOLATIONS.md, "F3: causes found and fixed"):
 * a room whose replicas hold nothing of it (they never heard of it, or restarted and lost their
 * in-memory promise) refuses every takeover's {@code Collect} (F1's rule), so the room stayed listed
 * unavailable with its admin up. Each test shapes one cause: an admin that lost its lease before any
 * replica heard of the room takes it back alone only when nobody held the lease in between (the lease
 * epoch follows its own last grant); an admin restarted right after the creation finds replicas that
 * heard of the room; restarted nodes whose store records an empty room answer a takeover; a
 * restarted admin whose first take-back failed tries again.
 */
class UnheardRoomTakeBackTest {
  @RegisterExtension
  final SteppedFailover sf = new SteppedFailover(17);
  private final SteppedCluster stepped = sf.stepped;
  private final CuttableLeases.Net leases = sf.leases;
  private final InMemoryCluster cluster = sf.cluster;

  /**
   * Creates room "general" on n1 while no replica gets a Replicate or a Collect, then cuts n1 from
   * the leases until it stepped down. n2 and n3 are cut from the leases too: they are the room's
   * replicas since its creation and would take it over (nobody may hold the lease meanwhile here).
   */
  private void createUnheardThenLoseTheLease() {
    cluster.start();
    stepped.settle(cluster::connected);
    stepped.network.filter((from, to, env) -> !(env.message() instanceof Replicate) && !(env.message() instanceof Collect));
    Room r = sf.join(cluster.node("n1").createRoom("general"));
    assertThat(r.name()).isEqualTo("general");
    SteppedFailover.ALL.forEach(leases::cut);
    stepped.settle(() -> !available("n1"), 4 * Nemesis.LEASE.toMillis());
    assertThat(available("n1")).as("n1 stepped down once cut from the leases").isFalse();
  }

  @Test
  void anAdminWhoseRoomNoReplicaHeardOfTakesItBackWhenNobodyHeldTheLeaseMeanwhile() {
    createUnheardThenLoseTheLease();

    // no Collect gets through: n1 can only continue its own log alone
    leases.heal("n1");
    stepped.settle(() -> available("n1"), Nemesis.FAILURE_TIMEOUT.toMillis() + 10 * Nemesis.LEASE.toMillis());
    assertThat(available("n1")).as("n1 took its room back alone").isTrue();
    leases.heal("n2");
    leases.heal("n3");
    stepped.network.filter(null);
    stepped.settle(() -> available("n1") && available("n2") && available("n3"),
        Nemesis.FAILURE_TIMEOUT.toMillis() + 10 * Nemesis.LEASE.toMillis());

    assertListedAvailableUnder("n1", SteppedFailover.ALL);
  }

  @Test
  void anAdminDoesNotTakeItsRoomBackAloneWhenAnotherNodeHeldTheLeaseMeanwhile() {
    createUnheardThenLoseTheLease();
    // another node held the lease meanwhile (and might have sequenced, or deleted the room)
    stepped.settle(() -> leases.shared().current("general").join().isEmpty(), 2 * Nemesis.LEASE.toMillis());
    var other = sf.join(leases.shared().acquire("general", NodeId.of("n2"), Nemesis.LEASE));
    sf.join(leases.shared().release(other));

    // n2 and n3 (still cut from the leases) are the room's replicas since its creation, with an
    // empty log: they would answer a Collect, and a take-back with their tails is safe; none gets
    // through, so n1 would be alone
    leases.heal("n1");
    stepped.settle(() -> available("n1"), Nemesis.FAILURE_TIMEOUT.toMillis() + 10 * Nemesis.LEASE.toMillis());

    assertThat(available("n1")).as("n1 may not continue its own log alone: the lease had another holder").isFalse();
  }

  @Test
  void anAdminRestartedRightAfterTheCreationTakesItsRoomBack() {
    cluster.start();
    stepped.settle(cluster::connected);
    sf.join(cluster.node("n1").createRoom("general"));
    // what the creation sent arrives (no clock moves: no heartbeat), then n1 dies and comes back with its store
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> stepped.network.inFlightCount() == 0);
    sf.crash("n1");
    sf.restart("n1");

    stepped.settle(() -> available("n1") && available("n2") && available("n3"),
        Nemesis.FAILURE_TIMEOUT.toMillis() + 10 * Nemesis.LEASE.toMillis());
    for (String n : SteppedFailover.ALL) {
      assertThat(available(n)).as(n + " lists 'general' available (its admin n1 is up)").isTrue();
    }
  }

  @Test
  void restartedNodesWhoseStoreRecordsAnEmptyRoomAnswerATakeover() {
    cluster.start();
    stepped.settle(cluster::connected);
    sf.join(cluster.node("n1").createRoom("general"));
    stepped.settle(() -> false, 4 * Nemesis.HEARTBEAT.toMillis()); // the replicas n2, n3 follow n1

    // the admin n1 and the replica n3 die; n3 comes back with its store (the room, no entry)
    sf.crash("n1");
    sf.crash("n3");
    sf.restart("n3");
    stepped.settle(() -> false, Nemesis.FAILURE_TIMEOUT.toMillis() + 2 * Nemesis.LEASE.toMillis());
    // n1 comes back with its store but cannot reach the leases: it cannot take its room back
    cluster.restart("n1");
    stepped.settle(() -> available("n2") && available("n3"), Nemesis.FAILURE_TIMEOUT.toMillis() + 10 * Nemesis.LEASE.toMillis());

    // n2 (which still knows the replica set) took over with the empty tails of n1 and n3
    assertListedAvailableUnder("n2", List.of("n2", "n3"));
  }

  @Test
  void aRestartedAdminTriesAgainToTakeItsRoomBack() {
    cluster.start();
    stepped.settle(cluster::connected);
    sf.join(cluster.node("n1").createRoom("general"));
    stepped.settle(() -> false, 4 * Nemesis.HEARTBEAT.toMillis()); // the replicas n2, n3 follow n1

    // every node restarts with its store: only n1 knows the room is its own, nobody knows the replica set
    SteppedFailover.ALL.forEach(sf::crash);
    sf.restart("n2");
    sf.restart("n3");
    cluster.restart("n1"); // still cut from the leases: its take-back at the restart fails
    stepped.settle(() -> false, Nemesis.FAILURE_TIMEOUT.toMillis() + 2 * Nemesis.LEASE.toMillis());
    leases.heal("n1");
    stepped.settle(() -> available("n1") && available("n2") && available("n3"),
        Nemesis.FAILURE_TIMEOUT.toMillis() + 10 * Nemesis.LEASE.toMillis());

    assertListedAvailableUnder("n1", SteppedFailover.ALL);
  }

  /**
   * ADMIN_ONLY seeds 359, 597: the creation committed on every node, but no Replicate reached n2 or
   * n3; n1 dies and comes back without its disk. Before the fix the replicas did not know they were
   * replicas (only a Replicate told them) and would have refused a Collect (they held nothing): the
   * room stayed listed unavailable under n1 for good. The reservation now carries the replica set:
   * n2 and n3 are replicas from the commit on, with an empty log, and one of them takes the room over.
   */
  @Test
  void replicasThatNeverHeardOfTheRoomTakeItOverWhenItsCreatorComesBackWithoutItsDisk() {
    cluster.start();
    stepped.settle(cluster::connected);
    stepped.network.filter((from, to, env) -> !(env.message() instanceof Replicate));
    sf.join(cluster.node("n1").createRoom("general"));
    sf.awaitListedEverywhere("general"); // the commit reached n2 and n3 (their Replicates are dropped)
    sf.crash("n1");
    sf.stores.get("n1").fresh();
    stepped.network.filter(null);
    sf.restart("n1");
    stepped.settle(this::listedAvailableUnderOneAdmin, Nemesis.FAILURE_TIMEOUT.toMillis() + 10 * Nemesis.LEASE.toMillis());

    String admin = sf.adminOf("n2", "general").orElseThrow();
    assertThat(admin).as("a replica that took the room over").isIn("n2", "n3");
    assertListedAvailableUnder(admin, SteppedFailover.ALL);
  }

  /** Every node lists 'general' available, all under the same admin. */
  private boolean listedAvailableUnderOneAdmin() {
    return SteppedFailover.ALL.stream().allMatch(this::available)
        && SteppedFailover.ALL.stream().map(n -> sf.adminOf(n, "general")).distinct().count() == 1;
  }

  /** Each of {@code nodes} lists 'general' as available, administered by {@code admin}. */
  private void assertListedAvailableUnder(String admin, List<String> nodes) {
    for (String n : nodes) {
      assertThat(cluster.node(n).rooms()).as("the directory of " + n).filteredOn(s -> s.name().equals("general"))
          .extracting(RoomSummary::admin, RoomSummary::available).containsExactly(Tuple.tuple(NodeId.of(admin), true));
    }
  }

  private boolean available(String node) {
    Optional<RoomSummary> s = cluster.node(node).rooms().stream().filter(x -> x.name().equals("general")).findFirst();
    return s.isPresent() && s.get().available();
  }
}
