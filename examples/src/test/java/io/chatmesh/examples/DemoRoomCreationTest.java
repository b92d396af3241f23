package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.ChatException;
import io.chatmesh.ChatNode;
import io.chatmesh.ErrorCode;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A demo node creates its room once the cluster lets it: a node that restarted while another node
 * is down is ready (it reaches a majority) but may not vouch for a name until it has heard the
 * directory of every node it knows, so its first creation is refused UNAVAILABLE; the demo tries
 * again until the missing node is back (before, it gave up and the node never had its room).
 */
@Timeout(60)
class DemoRoomCreationTest {
  private static final List<String> ALL = List.of("n1", "n2", "n3");

  @Test
  void aRestartedNodeCreatesItsRoomOnceTheNodeThatWasDownIsBack() throws Exception {
    InMemoryNetwork network = new InMemoryNetwork(1);
    try (InMemoryCluster cluster = InMemoryCluster.builder()
        .nodes(3)
        .transports(network::transport, network::crash)
        .configure(b -> b.heartbeatInterval(Duration.ofMillis(50)).failureTimeout(Duration.ofMillis(500))
            .requestTimeout(Duration.ofSeconds(1)).prepareTimeout(Duration.ofSeconds(1)))
        .configureNode((name, b) -> b.seeds(ALL)) // as a deployment configures it
        .build()) {
      cluster.start();
      for (ChatNode n : cluster.nodes()) {
        n.ready().get(10, TimeUnit.SECONDS);
      }
      cluster.crash("n3");
      ChatNode n2 = cluster.restart("n2");
      n2.ready().get(10, TimeUnit.SECONDS); // n1 and n2: a majority of three

      CompletableFuture<Void> created = DemoNode.ensureRoomWhenReady(n2, "room-b", () -> false);
      // n3's directory is missing: a creation asked after the demo's first attempt is refused, so
      // that attempt was refused too; the demo keeps trying instead of giving up
      assertThatThrownBy(() -> n2.createRoom("probe").get(10, TimeUnit.SECONDS))
          .cause().isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
      assertThat(created).isNotCompletedExceptionally();
      assertThat(n2.room("room-b")).isEmpty();

      cluster.restart("n3");
      created.get(30, TimeUnit.SECONDS);
      assertThat(n2.room("room-b")).isPresent();
    } finally {
      network.close();
    }
  }
}
