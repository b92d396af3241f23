package io.chatmesh.nemesis;

import io.chatmesh.ChatNode;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.time.ManualClock;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import java.time.Duration;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;

/**
 * An {@link InMemoryCluster} on a {@link ManualClock} with the nemesis's timings, for the
 * step-by-step regression tests of known violations: {@link #settle} moves the clock only once no
 * envelope waits in a node's inbound queue. Not thread-safe (one test thread drives it).
 */
final class SteppedCluster implements AutoCloseable {
  final ManualClock clock = new ManualClock();
  final InMemoryNetwork network;
  final InMemoryCluster cluster;

  /** {@code perNode} configures each node at each of its starts (history, seeds). */
  SteppedCluster(int nodes, long seed, BiConsumer<String, ChatNode.Builder> perNode) {
    network = new InMemoryNetwork(seed, clock);
    cluster = InMemoryCluster.builder()
        .nodes(nodes)
        .clock(clock)
        .transports(network::transport, network::crash)
        .configure(b -> b.heartbeatInterval(Nemesis.HEARTBEAT)
            .failureTimeout(Nemesis.FAILURE_TIMEOUT)
            .requestTimeout(Nemesis.REQUEST_TIMEOUT)
            .prepareTimeout(Nemesis.PREPARE_TIMEOUT))
        .configureNode(perNode)
        .build();
  }

  /** Until {@code condition} holds (at most 20 s of clock time). */
  void settle(BooleanSupplier condition) {
    settle(condition, 20_000);
  }

  /** Advances the clock 10 ms at a time until {@code condition} holds or {@code clockMillis} passed. */
  void settle(BooleanSupplier condition, long clockMillis) {
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

  @Override
  public void close() {
    cluster.close();
    network.close();
  }
}
