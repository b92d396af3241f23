package io.chatmesh.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Extra HTTP routes mounted on the gateway, and the gateway's counters. */
@Timeout(60)
class GatewayRoutesAndStatsTest {
  private final FakeChatNode node = new FakeChatNode("n1");
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private WebSocketGateway gateway;

  @AfterEach
  void tearDown() {
    if (gateway != null) {
      gateway.close();
    }
    node.close();
  }

  private HttpResponse<String> request(String method, String path) throws Exception {
    HttpRequest r =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(10))
            .build();
    return http.send(r, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void mountedRoutesAnswerGetAndHeadAndLeaveEverythingElseToThePage() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    gateway =
        WebSocketGateway.builder(node)
            .port(0)
            .route("/hello", () -> HttpRoute.Response.of(200, "text/x-test", "hi " + calls.incrementAndGet() + "\n"))
            .route("/unready", () -> HttpRoute.Response.text(503, "not yet\n"))
            .route("/broken", () -> {
              throw new IllegalStateException("boom");
            })
            .build()
            .start();

    HttpResponse<String> get = request("GET", "/hello?x=1");
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(get.body()).isEqualTo("hi 1\n");
    assertThat(get.headers().firstValue("content-type")).hasValue("text/x-test");

    HttpResponse<String> head = request("HEAD", "/hello");
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(calls.get()).isEqualTo(2);

    assertThat(request("GET", "/unready").statusCode()).isEqualTo(503);
    HttpResponse<String> broken = request("GET", "/broken");
    assertThat(broken.statusCode()).isEqualTo(500);
    assertThat(broken.body()).contains("boom");

    assertThat(request("POST", "/hello").statusCode()).as("only GET and HEAD reach a route").isEqualTo(405);
    assertThat(request("GET", "/nothing").statusCode()).isEqualTo(404);
    HttpResponse<String> page = request("GET", "/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type").orElse("")).startsWith("text/html");
    assertThat(calls.get()).isEqualTo(2);
  }

  @Test
  void routePathsAreChecked() {
    WebSocketGateway.Builder b = WebSocketGateway.builder(node).route("/metrics", () -> HttpRoute.Response.text(200, ""));
    for (String bad : new String[] {"/", "/index.html", "/ws", "/ws/x", "metrics", "/a b", "/q?x", "/metrics"}) {
      assertThatThrownBy(() -> b.route(bad, () -> HttpRoute.Response.text(200, "")))
          .as(bad)
          .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST));
    }
    assertThatThrownBy(() -> b.route("/x", null)).isInstanceOf(ChatException.class);
    assertThatThrownBy(() -> HttpRoute.Response.text(99, "")).isInstanceOf(ChatException.class);
  }

  @Test
  void framesErrorsAndConnectionsAreCounted() throws Exception {
    gateway = WebSocketGateway.builder(node).port(0).build().start();
    GatewayStats empty = gateway.stats();
    assertThat(empty.connections()).isZero();
    assertThat(empty.framesIn()).containsKeys("hello", "send", "invalid").allSatisfy((k, v) -> assertThat(v).isZero());
    assertThat(empty.errors()).containsKey(ErrorCode.RATE_LIMITED.name());

    try (RawWsClient c = RawWsClient.connect(gateway.port())) {
      c.send("{\"type\":\"rooms\",\"id\":\"r0\"}"); // before hello: UNAUTHORIZED
      c.reply("r0");
      c.send("{\"type\":\"hello\",\"user\":\"alice\",\"id\":\"h\"}");
      c.reply("h");
      c.send("{\"type\":\"rooms\",\"id\":\"r1\"}");
      c.reply("r1");
      c.send("not json");
      c.next("error");
      c.send("{\"type\":\"dance\",\"id\":\"d\"}");
      c.reply("d");
      c.send("{\"type\":\"invite\",\"room\":\"nowhere\",\"user\":\"bob\",\"id\":\"i\"}");
      c.reply("i");
      c.send("{\"type\":\"uninvite\",\"room\":\"nowhere\",\"user\":\"bob\",\"id\":\"u\"}");
      c.reply("u");

      GatewayStats s = gateway.stats();
      assertThat(s.connections()).isEqualTo(1);
      assertThat(s.connectionsOpened()).isEqualTo(1);
      assertThat(s.framesIn()).containsEntry("hello", 1L).containsEntry("rooms", 2L).containsEntry("invalid", 2L)
          .as("invite and uninvite are counted as themselves, not as invalid").containsEntry("invite", 1L).containsEntry("uninvite", 1L);
      assertThat(s.framesOut()).containsEntry("welcome", 1L).containsEntry("rooms", 1L).containsEntry("error", 5L);
      assertThat(s.errors()).containsEntry("UNAUTHORIZED", 1L).containsEntry("BAD_REQUEST", 2L);
      assertThat(s.rateLimited()).isZero();
      assertThat(s.slowReaderDisconnects()).isZero();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> gateway.stats().connections() == 0);
    assertThat(gateway.stats().connectionsOpened()).isEqualTo(1);
  }
}
