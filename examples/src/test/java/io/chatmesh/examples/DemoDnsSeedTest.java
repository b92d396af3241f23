package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two demo nodes over gRPC where the second one's only seed is {@code dns:localhost:PORT}, looked
 * up by the JVM's resolver (the hosts file): it meets the first node and becomes ready, as a pod
 * behind a headless Service would.
 */
class DemoDnsSeedTest {
  private final List<DemoNode> nodes = new ArrayList<>();

  @AfterEach
  void close() {
    nodes.forEach(DemoNode::close);
  }

  @Test
  void aNodeFindsItsPeerThroughADnsSeed() {
    DemoNode n1 = DemoNode.start("n1", "127.0.0.1", 0, 0, List.of(), Duration.ofMillis(1500));
    nodes.add(n1);
    String port = n1.node().address().substring(n1.node().address().lastIndexOf(':') + 1);
    DemoNode n2 = DemoNode.start("n2", "127.0.0.1", 0, 0, List.of("dns:localhost:" + port), Duration.ofMillis(1500));
    nodes.add(n2);
    await().atMost(Duration.ofSeconds(20)).until(() -> n2.node().liveNodes().contains(n1.node().id()));
    await().atMost(Duration.ofSeconds(20)).until(() -> n2.node().isReady());
    assertThat(n1.node().liveNodes()).contains(n2.node().id());
    assertThat(DemoNode.readiness(n2.node().health()).status()).isEqualTo(200);
  }
}
