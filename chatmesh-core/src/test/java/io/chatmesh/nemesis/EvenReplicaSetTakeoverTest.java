package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.testing.InMemoryCluster;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Seed 483's DIRECTORY_NOT_CONVERGED step by step (see KNOWN_VIOLATIONS.md, "F3: causes found and
 * fixed", open part): a restarted admin takes its room back with n3 down, so the room's replica set
 * becomes the two nodes that answered; the admin then comes back as a fresh node without store. The
 * other replica must take the room over with its own tail (1 of 2: every entry committed on a set of
 * 2 is on both), not wait forever for a second tail the fresh node rightly refuses.
 */
class EvenReplicaSetTakeoverTest {
  @RegisterExtension
  final SteppedFailover sf = new SteppedFailover(29);
  private final SteppedCluster stepped = sf.stepped;
  private final InMemoryCluster cluster = sf.cluster;

  @Test
  void theOtherReplicaOfATwoNodeSetTakesOverWhenTheAdminComesBackWithoutStore() {
    sf.startWithRoom("n1", "general");
    stepped.settle(() -> false, 4 * Nemesis.HEARTBEAT.toMillis()); // the replicas n2, n3 follow n1

    // n3 is down; n1 restarts with its store before n2 takes over: its take-back with n2's tail
    // makes the replica set [n1, n2]
    sf.crash("n3");
    sf.crash("n1");
    sf.restart("n1");
    stepped.settle(() -> adminOf("n2").equals(Optional.of("n1")) && available("n2") && available("n1"),
        Nemesis.FAILURE_TIMEOUT.toMillis() + 10 * Nemesis.LEASE.toMillis());
    assertThat(available("n1")).as("n1 took its room back").isTrue();
    stepped.settle(() -> false, 4 * Nemesis.HEARTBEAT.toMillis()); // n2 follows n1's new epoch

    // n1 dies and comes back as a fresh node (its store lost)
    sf.crash("n1");
    sf.stores.put("n1", new KeptHistoryStore(stepped.clock));
    sf.restart("n1");
    stepped.settle(() -> available("n1") && available("n2"), Nemesis.FAILURE_TIMEOUT.toMillis() + 10 * Nemesis.LEASE.toMillis());

    for (String n : new String[] {"n1", "n2"}) {
      assertThat(adminOf(n)).as("the admin of 'general' in the directory of " + n).contains("n2");
      assertThat(available(n)).as(n + " lists 'general' available").isTrue();
    }
  }

  private Optional<String> adminOf(String node) {
    return sf.adminOf(node, "general");
  }

  private boolean available(String node) {
    return sf.available(node, "general");
  }
}
