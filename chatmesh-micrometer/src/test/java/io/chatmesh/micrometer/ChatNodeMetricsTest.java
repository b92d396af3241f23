package io.chatmesh.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.chatmesh.ChatException;
import io.chatmesh.ChatNode;
import io.chatmesh.Room;
import io.chatmesh.UserId;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.transport.grpc.GrpcTransport;
import io.chatmesh.websocket.WebSocketGateway;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The binders against live nodes, a real gRPC transport and a real gateway, read through a Prometheus registry. */
class ChatNodeMetricsTest {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private InMemoryCluster cluster;

  @AfterEach
  void close() {
    if (cluster != null) {
      cluster.close();
    }
    registry.close();
  }

  private double counter(String name, String node, String... tags) {
    return registry.get(name).tags("node", node).tags(tags).functionCounter().count();
  }

  @Test
  void countersGaugesAndTimersFollowTheNode() {
    cluster = InMemoryCluster.builder().nodes(2).configure(b -> b.heartbeatInterval(Duration.ofMillis(50)).failureTimeout(Duration.ofMillis(500))).build().start();
    await().atMost(10, TimeUnit.SECONDS).until(cluster::connected);
    ChatNode n1 = cluster.node("n1");
    ChatNode n2 = cluster.node("n2");
    ChatNodeMetrics.builder(n1).tags("cluster", "test").build().bindTo(registry);
    ChatNodeMetrics.builder(n2).tags("cluster", "test").build().bindTo(registry);
    int meters = registry.getMeters().size();

    n1.createRoom("general").join();
    await().until(() -> n2.room("general").isPresent());
    Room room = n2.room("general").orElseThrow();
    room.join(UserId.of("alice"), e -> {}).join();
    for (int i = 0; i < 3; i++) {
      room.send(UserId.of("alice"), "hi " + i).join();
    }
    room.send(UserId.of("bob"), "not joined").exceptionally(e -> null).join();

    await().untilAsserted(() -> assertThat(counter("chatmesh.sends.accepted", "n2")).isEqualTo(3));
    assertThat(counter("chatmesh.sends.refused", "n2", "code", "NOT_MEMBER")).isEqualTo(1);
    assertThat(counter("chatmesh.sends.refused", "n2", "code", "TIMEOUT")).isZero();
    assertThat(counter("chatmesh.twopc.outcomes", "n1", "outcome", "committed")).isEqualTo(1);
    assertThat(counter("chatmesh.deliveries", "n2")).isGreaterThanOrEqualTo(4); // own join + 3 messages
    await().untilAsserted(() -> assertThat(registry.get("chatmesh.room.members").tags("node", "n1").gauge().value()).isEqualTo(1));
    assertThat(registry.get("chatmesh.rooms.administered").tags("node", "n1").gauge().value()).isEqualTo(1);
    assertThat(registry.get("chatmesh.peers.live").tags("node", "n2", "cluster", "test").gauge().value()).isEqualTo(1);
    assertThat(registry.get("chatmesh.node.ready").tags("node", "n2").gauge().value()).isEqualTo(1);

    Timer ack = registry.get("chatmesh.send.ack").tags("node", "n2").timer();
    assertThat(ack.count()).isEqualTo(3);
    assertThat(ack.totalTime(TimeUnit.NANOSECONDS)).isPositive();
    assertThat(registry.get("chatmesh.sequencing").tags("node", "n1").timer().count()).isEqualTo(4); // join + 3
    assertThat(registry.get("chatmesh.history.append").tags("node", "n1").timer().count()).isEqualTo(4);

    assertThat(registry.getMeters()).as("traffic adds no series").hasSize(meters);
    String text = registry.scrape();
    assertThat(text)
        .contains("chatmesh_sends_accepted_total{cluster=\"test\",node=\"n2\"} 3.0")
        .contains("chatmesh_send_ack_seconds{cluster=\"test\",node=\"n2\",quantile=\"0.99\"}")
        .contains("chatmesh_lane_oldest_wait_seconds{cluster=\"test\",node=\"n1\"}")
        .doesNotContain("alice")
        .doesNotContain("general");
  }

  @Test
  void transportAndGatewayBindersExportTheirStats() {
    cluster = InMemoryCluster.builder().nodes(1).build().start();
    GrpcTransport transport = GrpcTransport.builder("127.0.0.1:0").plaintext().build();
    new GrpcTransportMetrics(transport, "node", "n1").bindTo(registry);
    try (WebSocketGateway gateway = WebSocketGateway.builder(cluster.node("n1")).port(0).build().start()) {
      new WebSocketGatewayMetrics(gateway, "node", "n1").bindTo(registry);
      assertThat(registry.get("chatmesh.gateway.connections").gauge().value()).isZero();
      assertThat(registry.get("chatmesh.gateway.frames").tags("direction", "in", "type", "send").functionCounter().count()).isZero();
      assertThat(registry.get("chatmesh.gateway.errors").tags("code", "RATE_LIMITED").functionCounter().count()).isZero();
      assertThat(registry.find("chatmesh.gateway.rate.limited").functionCounter()).isNotNull();
      assertThat(registry.find("chatmesh.gateway.slow.disconnects").functionCounter()).isNotNull();
    }
    Gauge queued = registry.get("chatmesh.link.queued.bytes").gauge();
    assertThat(queued.value()).isZero();
    FunctionCounter drops = registry.get("chatmesh.link.drops").tags("reason", "queue_full").functionCounter();
    assertThat(drops.count()).isZero();
    assertThat(registry.scrape()).contains("chatmesh_link_queued_bytes{node=\"n1\"}").contains("chatmesh_link_opened_total{node=\"n1\"}");
  }

  @Test
  void badConfigurationIsRefused() {
    cluster = InMemoryCluster.builder().nodes(1).build().start();
    ChatNode n = cluster.node("n1");
    assertThatThrownBy(() -> ChatNodeMetrics.builder(null)).isInstanceOf(ChatException.class);
    assertThatThrownBy(() -> ChatNodeMetrics.builder(n).tags("odd")).isInstanceOf(ChatException.class);
    assertThatThrownBy(() -> ChatNodeMetrics.builder(n).percentiles(1.5)).isInstanceOf(ChatException.class);
    assertThatThrownBy(() -> new GrpcTransportMetrics(null)).isInstanceOf(ChatException.class);
  }
}
