package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.NodeId;
import io.chatmesh.RoomSummary;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.CuttableLeases;
import io.chatmesh.wire.Decision;
import java.util.Optional;
import java.util.Set;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Seed 2410 of the REPLICATED long run step by step (KNOWN_VIOLATIONS.md, "The last
 * DIRECTORY_NOT_CONVERGED seeds"): a participant of a room's creation that stayed in doubt (the
 * commit decision lost) followed the room, took it over, and then learnt the creation's decision:
 * applying it listed the room again under its creator at the creation's epoch, in this node's own
 * directory, where no later announcement corrects it (the others list the new admin).
 */
class LateCreationCommitTest {
  @RegisterExtension
  final SteppedFailover sf = new SteppedFailover(29);
  private final SteppedCluster stepped = sf.stepped;
  private final CuttableLeases.Net leases = sf.leases;
  private final InMemoryCluster cluster = sf.cluster;

  @Test
  void aCreationCommitLearntAfterTakingTheRoomOverKeepsThisNodeAsItsAdmin() {
    cluster.start();
    stepped.settle(cluster::connected);
    // n2 and n3 vote for the creation but never hear the decision: they stay in doubt
    stepped.network.filter((from, to, env) -> !(env.message() instanceof Decision));
    sf.join(cluster.node("n1").createRoom("general"));
    stepped.settle(() -> false, 4 * Nemesis.HEARTBEAT.toMillis()); // n2 and n3 follow n1

    // the creator n1 is cut off from everything; n2 or n3 takes the room over
    stepped.network.injector().partition(Set.of("n1"), Set.of("n2", "n3"));
    leases.cut("n1");
    stepped.settle(() -> newAdmin().isPresent(), Nemesis.FAILURE_TIMEOUT.toMillis() + 10 * Nemesis.LEASE.toMillis());
    String admin = newAdmin().orElseThrow(() -> new AssertionError("neither n2 nor n3 took the room over"));

    // everything heals: the nodes in doubt ask n1 for the decision again and learn the creation committed
    stepped.network.filter(null);
    stepped.network.heal();
    leases.heal("n1");
    stepped.settle(() -> false, Nemesis.FAILURE_TIMEOUT.toMillis() + 2 * Nemesis.LEASE.toMillis());

    for (String n : SteppedFailover.ALL) {
      assertThat(cluster.node(n).rooms()).as("the directory of " + n).filteredOn(s -> s.name().equals("general"))
          .extracting(RoomSummary::admin, RoomSummary::available).containsExactly(Tuple.tuple(NodeId.of(admin), true));
    }
  }

  /** n2 or n3 if it lists itself as the room's available admin. */
  private Optional<String> newAdmin() {
    return java.util.List.of("n2", "n3").stream().filter(n -> listedAvailableUnder(n, n)).findFirst();
  }

  private boolean listedAvailableUnder(String node, String admin) {
    Optional<RoomSummary> s = cluster.node(node).rooms().stream().filter(x -> x.name().equals("general")).findFirst();
    return s.isPresent() && s.get().available() && s.get().admin().equals(NodeId.of(admin));
  }
}
