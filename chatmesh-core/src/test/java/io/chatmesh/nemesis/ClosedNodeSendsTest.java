package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.Room;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.testing.InMemoryCluster;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Known violation V11 step by step (see KNOWN_VIOLATIONS.md): a send waiting on a node for its link
 * to the admin to take traffic again is never completed when that node is closed (a crashed process
 * replaced by a restart), so the caller waits forever.
 */
class ClosedNodeSendsTest {
  private final SteppedCluster stepped = new SteppedCluster(2, 11, (name, b) -> {});
  private final InMemoryCluster cluster = stepped.cluster;

  @AfterEach
  void close() {
    stepped.close();
  }

  @Test
  void aSendWaitingForACongestedLinkFailsUnavailableWhenItsNodeCloses() {
    cluster.start();
    stepped.settle(cluster::connected);
    await(cluster.node("n1").createRoom("r"));
    stepped.settle(() -> cluster.node("n2").room("r").isPresent());
    Room r = cluster.node("n2").room("r").orElseThrow();
    await(r.join(UserId.of("bob"), e -> {}));

    stepped.network.stall("n2", "n1"); // n2's link to the admin takes no traffic: the send waits on n2
    CompletableFuture<Sent> waiting = r.send(UserId.of("bob"), "hello", "c1");
    stepped.settle(() -> false, 100);
    assertThat(waiting).isNotDone();

    cluster.restart("n2"); // the old process is closed
    stepped.settle(waiting::isDone, 1_000);
    assertThat(waiting).as("a send of a closed node must not stay pending").isDone();
    Throwable t = waiting.handle((v, e) -> e).join();
    assertThat(t).isNotNull();
    assertThat(t.getCause() instanceof ChatException c ? c.code() : ((ChatException) t).code()).isEqualTo(ErrorCode.UNAVAILABLE);
  }

  private <T> T await(CompletableFuture<T> f) {
    stepped.settle(f::isDone);
    return f.join();
  }
}
