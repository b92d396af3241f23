package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A 3-node demo cluster in this JVM (gRPC between the nodes, WebSockets to the users): {@code
 * /metrics} of each node's HTTP port shows the counters moving with real traffic, {@code /healthz}
 * and {@code /readyz} answer as a probe expects.
 */
@Timeout(120)
class DemoMetricsTest {
  private static final List<DemoNode> nodes = new ArrayList<>();
  private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void startCluster() {
    List<String> peers = new ArrayList<>();
    for (String id : List.of("n1", "n2", "n3")) {
      DemoNode n = DemoNode.start(id, "127.0.0.1", 0, 0, List.copyOf(peers), Duration.ofSeconds(2));
      nodes.add(n);
      peers.add(n.node().address());
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> nodes.stream().allMatch(n -> n.node().liveNodes().size() == 2));
    nodes.get(0).ensureRoom("room-a");
  }

  @AfterAll
  static void stopCluster() {
    for (DemoNode n : nodes) {
      n.close();
    }
  }

  private static HttpResponse<String> get(DemoNode n, String path) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(URI.create(n.httpUrl() + path)).timeout(Duration.ofSeconds(10)).build();
    return http.send(r, HttpResponse.BodyHandlers.ofString());
  }

  private static PrometheusText scrape(DemoNode n) throws Exception {
    HttpResponse<String> r = get(n, "/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue(DemoNode.PROMETHEUS_TEXT);
    return new PrometheusText(r.body());
  }

  @Test
  void probesAnswerOnEveryNode() throws Exception {
    for (DemoNode n : nodes) {
      HttpResponse<String> health = get(n, "/healthz");
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).isEqualTo("ok\n");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(get(n, "/readyz").statusCode()).isEqualTo(200));
      assertThat(get(n, "/readyz").body()).isEqualTo("ready\n");
    }
  }

  @Test
  void aNodeThatMetNoSeedIsLiveButNotReady() throws Exception {
    // port 1 on loopback: nothing listens, the seed is never met
    try (DemoNode alone = DemoNode.start("n9", "127.0.0.1", 0, 0, List.of("127.0.0.1:1"), Duration.ofSeconds(2))) {
      assertThat(get(alone, "/healthz").statusCode()).isEqualTo(200);
      HttpResponse<String> ready = get(alone, "/readyz");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains("has not met its seeds yet").contains("127.0.0.1:1");
      assertThat(scrape(alone).value("chatmesh_node_ready", "node", "n9")).isZero();
    }
  }

  @Test
  void countersMoveWithTraffic() throws Exception {
    DemoNode n1 = nodes.get(0);
    DemoNode n2 = nodes.get(1);
    DemoNode n3 = nodes.get(2);
    PrometheusText before1 = scrape(n1);
    PrometheusText before2 = scrape(n2);
    PrometheusText before3 = scrape(n3);
    assertThat(before2.value("chatmesh_peers_live", "node", "n2")).isEqualTo(2);
    assertThat(before1.value("chatmesh_rooms_administered", "node", "n1")).isEqualTo(1);

    int messages = 5;
    try (WsTestClient alice = new WsTestClient(n2.gateway().port());
        WsTestClient bob = new WsTestClient(n3.gateway().port())) {
      alice.request("{\"type\":\"hello\",\"user\":\"alice\"}");
      bob.request("{\"type\":\"hello\",\"user\":\"bob\"}");
      assertThat(alice.request("{\"type\":\"join\",\"room\":\"room-a\"}").path("type").asText()).isEqualTo("joined");
      assertThat(bob.request("{\"type\":\"join\",\"room\":\"room-a\"}").path("type").asText()).isEqualTo("joined");
      for (int i = 0; i < messages; i++) {
        assertThat(alice.request("{\"type\":\"send\",\"room\":\"room-a\",\"text\":\"m" + i + "\"}").path("type").asText()).isEqualTo("ack");
      }
      for (int i = 0; i < messages; i++) {
        assertThat(bob.next("message").path("text").asText()).isEqualTo("m" + i);
      }

      PrometheusText after2 = scrape(n2);
      assertThat(after2.value("chatmesh_sends_accepted_total", "node", "n2") - before2.value("chatmesh_sends_accepted_total", "node", "n2"))
          .isEqualTo(messages);
      assertThat(after2.value("chatmesh_send_ack_seconds_count", "node", "n2") - before2.value("chatmesh_send_ack_seconds_count", "node", "n2"))
          .isEqualTo(messages);
      assertThat(after2.value("chatmesh_gateway_frames_total", "node", "n2", "direction", "in", "type", "send")
              - before2.value("chatmesh_gateway_frames_total", "node", "n2", "direction", "in", "type", "send"))
          .isEqualTo(messages);
      assertThat(after2.value("chatmesh_gateway_frames_total", "node", "n2", "direction", "out", "type", "ack")
              - before2.value("chatmesh_gateway_frames_total", "node", "n2", "direction", "out", "type", "ack"))
          .isEqualTo(messages);
      assertThat(after2.value("chatmesh_gateway_connections", "node", "n2")).isGreaterThanOrEqualTo(1);
      assertThat(after2.value("chatmesh_rooms_joined", "node", "n2")).isEqualTo(1);

      PrometheusText after1 = scrape(n1);
      // the admin sequenced two joins and the messages, and sent them over its gRPC links
      assertThat(after1.value("chatmesh_sequencing_seconds_count", "node", "n1") - before1.value("chatmesh_sequencing_seconds_count", "node", "n1"))
          .isEqualTo(messages + 2);
      assertThat(after1.value("chatmesh_history_append_seconds_count", "node", "n1")
              - before1.value("chatmesh_history_append_seconds_count", "node", "n1"))
          .isEqualTo(messages + 2);
      assertThat(after1.value("chatmesh_link_envelopes_total", "node", "n1", "direction", "sent")
              - before1.value("chatmesh_link_envelopes_total", "node", "n1", "direction", "sent"))
          .isGreaterThanOrEqualTo(2 * messages);
      assertThat(after1.value("chatmesh_room_members", "node", "n1")).isEqualTo(2);

      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        PrometheusText after3 = scrape(n3);
        assertThat(after3.value("chatmesh_deliveries_total", "node", "n3") - before3.value("chatmesh_deliveries_total", "node", "n3"))
            .isGreaterThanOrEqualTo(messages);
      });
      PrometheusText after3 = scrape(n3);
      assertThat(after3.value("chatmesh_sends_refused_total", "node", "n3")).isZero();
      assertThat(after3.names()).contains("jvm_memory_used_bytes", "chatmesh_lane_oldest_wait_seconds");
    }
  }
}
