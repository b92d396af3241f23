package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.Room;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.CuttableLeases;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * NEVER_COMPLETED of the REPLICATED long run (seed 2689, see KNOWN_VIOLATIONS.md, "A creation
 * never completed"): a node creates a room whose name it still holds a stale local state for (it
 * administered the deleted earlier room of that name before a restart, and tries to take it back).
 * The creation must complete, or fail UNAVAILABLE at its deadline, and the new room must end up
 * administered by its creator once the leases are reachable.
 */
class CreationOverStaleStateTest {
  @RegisterExtension
  final SteppedFailover sf = new SteppedFailover(23);
  private final SteppedCluster stepped = sf.stepped;
  private final CuttableLeases.Net leases = sf.leases;
  private final InMemoryCluster cluster = sf.cluster;

  @Test
  void aCreationOverAStaleTakeBackCompletesAndItsRoomGetsItsCreatorAsAdmin() {
    sf.startWithRoom("n1", "general");
    stepped.settle(() -> false, 4 * Nemesis.HEARTBEAT.toMillis()); // the replicas n2, n3 follow n1
    // n1 dies; n2 or n3 takes the room over and deletes it while n1 is down
    sf.crash("n1");
    stepped.settle(() -> adminOf("n2").filter(a -> !a.equals("n1")).isPresent() && available("n2"),
        Nemesis.FAILURE_TIMEOUT.toMillis() + 10 * Nemesis.LEASE.toMillis());
    String taker = adminOf("n2").orElseThrow();
    stepped.settle(() -> available(taker) && adminOf(taker).equals(Optional.of(taker)));
    stepped.settle(() -> false, 4 * Nemesis.HEARTBEAT.toMillis()); // every node follows the taker
    sf.join(cluster.node(taker).room("general").orElseThrow().delete());
    stepped.settle(() -> adminOf("n2").isEmpty() && adminOf("n3").isEmpty());

    // n1 comes back with its store (which still records the room as its own) but cut from the
    // leases: its take-back fails and its stale state of the deleted room stays
    cluster.restart("n1");
    stepped.settle(() -> false, Nemesis.FAILURE_TIMEOUT.toMillis() + 2 * Nemesis.LEASE.toMillis());

    // n1 creates the name again, still cut from the leases: the creation waits for its lease...
    CompletableFuture<Room> created = cluster.node("n1").createRoom("general");
    stepped.settle(() -> false, 3 * Nemesis.HEARTBEAT.toMillis());
    // ...and reaches the leases again while it waits for its next try
    leases.heal("n1");
    stepped.settle(created::isDone, Nemesis.REQUEST_TIMEOUT.toMillis() + 4 * Nemesis.LEASE.toMillis());
    assertThat(created).as("the creation completes or fails by its deadline").isDone();
    if (created.isCompletedExceptionally()) {
      assertThat(errorOf(created)).isEqualTo(ErrorCode.UNAVAILABLE);
    }

    // the new room gets its creator as admin on every node
    stepped.settle(() -> available("n1") && available("n2") && available("n3"),
        Nemesis.FAILURE_TIMEOUT.toMillis() + 10 * Nemesis.LEASE.toMillis());
    for (String n : SteppedFailover.ALL) {
      assertThat(adminOf(n)).as("the admin of 'general' in the directory of " + n).contains("n1");
      assertThat(available(n)).as(n + " lists 'general' available").isTrue();
    }
  }

  private static ErrorCode errorOf(CompletableFuture<?> f) {
    try {
      f.join();
      throw new AssertionError("not failed");
    } catch (CompletionException e) {
      return ChatException.from(e.getCause()).code();
    }
  }

  private Optional<String> adminOf(String node) {
    return sf.adminOf(node, "general");
  }

  private boolean available(String node) {
    return sf.available(node, "general");
  }
}
