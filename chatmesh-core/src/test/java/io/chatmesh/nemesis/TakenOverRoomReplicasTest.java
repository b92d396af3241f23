package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.Failover;
import io.chatmesh.NodeId;
import io.chatmesh.RoomSummary;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.testing.InMemoryCluster;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Seed 1166 of the REPLICATED long run step by step (KNOWN_VIOLATIONS.md, "The last
 * DIRECTORY_NOT_CONVERGED seeds"): a node that takes a room over told its replicas of its term only
 * at its next heartbeat. A replica that had lost its store (it refused the takeover's {@code
 * Collect}: it holds nothing of the room) stayed outside the room until then; when the new admin
 * died with its store in that window, the one node left holding the room needed a second tail and
 * got none, so the room stayed listed unavailable for good. The heartbeat here is long (500 ms) so
 * the window is wide and nothing but what the takeover sends at once can arrive in it.
 */
class TakenOverRoomReplicasTest {
  @RegisterExtension
  final SteppedFailover sf = new SteppedFailover(23, Failover.Acks.REPLICATED, Duration.ofMillis(500));
  private final SteppedCluster stepped = sf.stepped;
  private final InMemoryCluster cluster = sf.cluster;

  @Test
  void aReplicaThatLostItsStoreHearsTheNewAdminRightAfterTheTakeover() {
    sf.startWithRoom("n1", "general");
    stepped.settle(() -> false, 2_000); // n2 and n3 follow n1

    // n1 dies and comes back without its disk; n2 or n3 takes the room over with its own and the
    // other's tail (n1 refuses: it holds nothing of the room)
    sf.crash("n1");
    sf.stores.get("n1").fresh();
    sf.restart("n1");
    stepped.settle(() -> newAdmin().isPresent(), Nemesis.FAILURE_TIMEOUT.toMillis() + 10 * Nemesis.LEASE.toMillis());
    String admin = newAdmin().orElseThrow(() -> new AssertionError("neither n2 nor n3 took the room over"));
    String other = admin.equals("n2") ? "n3" : "n2";

    // no clock move (no heartbeat): what the takeover sent at once makes n1 a replica of the new term
    try {
      Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> stepped.network.inFlightCount() == 0 && recorded("n1", admin));
    } catch (ConditionTimeoutException e) {
      throw new AssertionError("n1 did not hear of the new admin " + admin + " before its next heartbeat", e);
    }

    // the new admin dies and comes back without its disk: n1 or the other replica takes over with their two tails
    sf.crash(admin);
    sf.stores.get(admin).fresh();
    sf.restart(admin);
    stepped.settle(() -> availableEverywhereUnder("n1") || availableEverywhereUnder(other),
        Nemesis.FAILURE_TIMEOUT.toMillis() + 10 * Nemesis.LEASE.toMillis());
    for (String n : SteppedFailover.ALL) {
      assertThat(cluster.node(n).rooms()).as("the directory of " + n).filteredOn(s -> s.name().equals("general"))
          .extracting(RoomSummary::available).containsExactly(true);
    }
    assertThat(availableEverywhereUnder("n1") || availableEverywhereUnder(other)).as("every node lists n1 or " + other + " as the admin")
        .isTrue();
  }

  /** n2 or n3 if it lists itself as the room's available admin. */
  private Optional<String> newAdmin() {
    return List.of("n2", "n3").stream().filter(n -> listedAvailableUnder(n, n)).findFirst();
  }

  private boolean availableEverywhereUnder(String admin) {
    return SteppedFailover.ALL.stream().allMatch(n -> listedAvailableUnder(n, admin));
  }

  /** Whether {@code node}'s store records 'general' with {@code admin} (a replica that follows it does). */
  private boolean recorded(String node, String admin) {
    List<HistoryStore.StoredRoom> rooms = sf.stores.get(node).rooms(NodeId.of(admin));
    return rooms.stream().anyMatch(r -> r.room().equals("general"));
  }

  private boolean listedAvailableUnder(String node, String admin) {
    Optional<RoomSummary> s = cluster.node(node).rooms().stream().filter(x -> x.name().equals("general")).findFirst();
    return s.isPresent() && s.get().available() && s.get().admin().equals(NodeId.of(admin));
  }
}
