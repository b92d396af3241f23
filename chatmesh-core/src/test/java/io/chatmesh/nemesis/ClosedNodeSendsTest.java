package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.Room;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.time.ManualClock;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Known violation V11 step by step (see KNOWN_VIOLATIONS.md): a send waiting on a node for its link
 * to the admin to take traffic again is never completed when that node is closed (a crashed process
 * replaced by a restart), so the caller waits forever.
 */
class ClosedNodeSendsTest {
  private final ManualClock clock = new ManualClock();
  private final InMemoryNetwork network = new InMemoryNetwork(11, clock);
  private final InMemoryCluster cluster = InMemoryCluster.builder()
      .nodes(2)
      .clock(clock)
      .transports(network::transport, network::crash)
      .configure(b -> b.heartbeatInterval(Nemesis.HEARTBEAT)
          .failureTimeout(Nemesis.FAILURE_TIMEOUT)
          .requestTimeout(Nemesis.REQUEST_TIMEOUT)
          .prepareTimeout(Nemesis.PREPARE_TIMEOUT))
      .build();

  @AfterEach
  void close() {
    cluster.close();
    network.close();
  }

  @Test
  void aSendWaitingForACongestedLinkFailsUnavailableWhenItsNodeCloses() {
    cluster.start();
    settle(cluster::connected);
    await(cluster.node("n1").createRoom("r"));
    settle(() -> cluster.node("n2").room("r").isPresent());
    Room r = cluster.node("n2").room("r").orElseThrow();
    await(r.join(UserId.of("bob"), e -> {}));

    network.stall("n2", "n1"); // n2's link to the admin takes no traffic: the send waits on n2
    CompletableFuture<Sent> waiting = r.send(UserId.of("bob"), "hello", "c1");
    settle(() -> false, 100);
    assertThat(waiting).isNotDone();

    cluster.restart("n2"); // the old process is closed
    settle(waiting::isDone, 1_000);
    assertThat(waiting).as("a send of a closed node must not stay pending").isDone();
    Throwable t = waiting.handle((v, e) -> e).join();
    assertThat(t).isNotNull();
    assertThat(t.getCause() instanceof ChatException c ? c.code() : ((ChatException) t).code()).isEqualTo(ErrorCode.UNAVAILABLE);
  }

  private <T> T await(CompletableFuture<T> f) {
    settle(f::isDone);
    return f.join();
  }

  private void settle(BooleanSupplier condition) {
    settle(condition, 20_000);
  }

  /** Advances the clock 10 ms at a time, once no envelope waits, until {@code condition} holds or {@code clockMillis} passed. */
  private void settle(BooleanSupplier condition, long clockMillis) {
    long until = clock.millis() + clockMillis;
    Awaitility.await().pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(20))
        .until(() -> {
          if (condition.getAsBoolean() || clock.millis() >= until) {
            return true;
          }
          if (network.inFlightCount() == 0) {
            clock.advance(Duration.ofMillis(10));
          }
          return false;
        });
  }
}
