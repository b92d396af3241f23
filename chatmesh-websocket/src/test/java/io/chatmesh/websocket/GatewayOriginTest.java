package io.chatmesh.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The handshake's origin allow-list, and the page's framing and referrer headers. */
@Timeout(60)
class GatewayOriginTest {
  private final FakeChatNode node = new FakeChatNode("n1");
  private WebSocketGateway gateway;

  @AfterEach
  void tearDown() {
    if (gateway != null) {
      gateway.close();
    }
    node.close();
  }

  private void start(WebSocketGateway.Builder b) {
    gateway = b.port(0).build().start();
  }

  private void assertHandshake(String origin) throws Exception {
    try (RawWsClient c = RawWsClient.connect(gateway.port(), origin)) {
      c.send("{\"type\":\"hello\",\"user\":\"alice\",\"id\":\"h\"}");
      assertThat(c.reply("h").path("type").asText()).isEqualTo("welcome");
    }
  }

  @Test
  void crossOriginHandshakeIsRefusedWith403() throws Exception {
    start(WebSocketGateway.builder(node));
    assertThatThrownBy(() -> RawWsClient.connect(gateway.port(), "https://evil.example"))
        .isInstanceOf(IOException.class).hasMessageContaining("403");
    // same host, another port: another origin
    assertThatThrownBy(() -> RawWsClient.connect(gateway.port(), "http://127.0.0.1:1"))
        .isInstanceOf(IOException.class).hasMessageContaining("403");
    assertThatThrownBy(() -> RawWsClient.connect(gateway.port(), "null"))
        .isInstanceOf(IOException.class).hasMessageContaining("403");
  }

  @Test
  void ownOriginAndNoOriginAreAccepted() throws Exception {
    start(WebSocketGateway.builder(node));
    assertHandshake("http://127.0.0.1:" + gateway.port());
    assertHandshake(null);
  }

  @Test
  void configuredOriginsAreAcceptedAndMissingOriginCanBeRefused() throws Exception {
    start(WebSocketGateway.builder(node).allowedOrigins(List.of("https://chat.example.com")).allowMissingOrigin(false));
    assertHandshake("https://chat.example.com");
    assertHandshake("http://127.0.0.1:" + gateway.port());
    assertThatThrownBy(() -> RawWsClient.connect(gateway.port(), null)).hasMessageContaining("403");
    assertThatThrownBy(() -> RawWsClient.connect(gateway.port(), "https://chat.example.com.evil.example"))
        .hasMessageContaining("403");
  }

  @Test
  void badOriginSettingIsRefused() {
    assertThatThrownBy(() -> WebSocketGateway.builder(node).allowedOrigins(List.of("chat.example.com")))
        .hasMessageContaining("not an origin");
  }

  @Test
  void pageCannotBeFramedAndSendsNoReferrer() throws Exception {
    start(WebSocketGateway.builder(node));
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    assertThat(r.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
    assertThat(r.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("frame-ancestors 'none'");
  }
}
