package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.ChatNode;
import io.chatmesh.NodeId;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import io.chatmesh.wire.DirectoryUpdate;
import io.chatmesh.wire.Goodbye;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Lane-owned state refuses callers from other threads (lane checks are on in tests). */
class LaneOwnershipTest {
  private final ExecutorService pool = Executors.newFixedThreadPool(2);

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  @Test
  void testsRunWithLaneChecks() {
    assertThat(SerialExecutor.CHECKED).as("assertions (-ea) or chatmesh.laneChecks turn the checks on").isTrue();
  }

  @Test
  void aLaneKnowsWhenItIsCurrent() {
    SerialExecutor lane = new SerialExecutor("a", pool);
    SerialExecutor other = new SerialExecutor("b", pool);
    assertThat(lane.isCurrent()).isFalse();
    assertThat(CompletableFuture.supplyAsync(lane::isCurrent, lane)).succeedsWithin(Duration.ofSeconds(10)).isEqualTo(true);
    assertThat(CompletableFuture.supplyAsync(lane::isCurrent, other)).succeedsWithin(Duration.ofSeconds(10)).isEqualTo(false);
    assertThat(CompletableFuture.runAsync(lane::assertCurrent, lane)).succeedsWithin(Duration.ofSeconds(10));
  }

  @Test
  void assertCurrentFromAnotherThreadOrLaneFailsNamingBoth() {
    SerialExecutor lane = new SerialExecutor("a", pool);
    SerialExecutor other = new SerialExecutor("b", pool);
    assertThatThrownBy(lane::assertCurrent)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("must run on lane[a] but runs on thread " + Thread.currentThread().getName());
    assertThat(CompletableFuture.runAsync(lane::assertCurrent, other))
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withMessageContaining("must run on lane[a] but runs on lane[b]");
  }

  @Test
  void nodeLaneStateCalledFromTheWrongThreadFailsLoudly() {
    try (InMemoryNetwork net = new InMemoryNetwork()) {
      NodeEngine engine = (NodeEngine) ChatNode.builder().nodeId("n1").transport(net.transport("n1")).build();
      NodeId n2 = NodeId.of("n2");
      assertThatThrownBy(() -> engine.directory.onUpdate(n2, 1, new DirectoryUpdate(1, true, List.of(), List.of())))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("must run on lane[n1/node]");
      assertThatThrownBy(() -> engine.peers.onGoodbye(n2, new Goodbye("bye")))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("must run on lane[n1/node]");
      // on the node lane the same call is fine
      assertThat(CompletableFuture.runAsync(() -> engine.peers.onGoodbye(n2, new Goodbye("bye")), engine.nodeLane))
          .succeedsWithin(Duration.ofSeconds(10));
      // a room's state belongs to its own lane, not the node lane
      RoomState rs = engine.roomState("general", engine.self, 1);
      assertThat(CompletableFuture.runAsync(rs::becomeAdmin, engine.nodeLane))
          .failsWithin(Duration.ofSeconds(10))
          .withThrowableOfType(java.util.concurrent.ExecutionException.class)
          .withMessageContaining("must run on lane[n1/general] but runs on lane[n1/node]");
      engine.close();
    }
  }
}
