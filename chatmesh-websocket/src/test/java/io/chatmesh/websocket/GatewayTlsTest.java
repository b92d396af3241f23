package io.chatmesh.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The gateway serving https and wss from PEM files, over real TLS on loopback. */
@Timeout(60)
class GatewayTlsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final FakeChatNode node = new FakeChatNode("n1");
  private final TlsTestCa ca = new TlsTestCa("test CA");
  private WebSocketGateway gateway;
  @TempDir Path dir;

  @AfterEach
  void tearDown() {
    if (gateway != null) {
      gateway.close();
    }
    node.close();
  }

  private WebSocketGateway start(TlsTestCa.Issued files) {
    gateway = WebSocketGateway.builder(node).port(0).tls(files.chain(), files.key()).build().start();
    return gateway;
  }

  @Test
  void wssClientSaysHelloJoinsAndSends() throws Exception {
    start(ca.issue(dir, "127.0.0.1", "localhost"));
    assertThat(gateway.secure()).isTrue();
    HttpClient http = HttpClient.newBuilder().sslContext(TlsTestCa.trusting(ca)).build();
    Frames alice = new Frames();
    WebSocket ws = http.newWebSocketBuilder()
        .buildAsync(URI.create("wss://127.0.0.1:" + gateway.port() + "/ws"), alice).get(10, TimeUnit.SECONDS);
    ws.sendText("{\"type\":\"hello\",\"user\":\"alice\",\"id\":\"h\"}", true).get(10, TimeUnit.SECONDS);
    assertThat(alice.next("welcome").path("user").asText()).isEqualTo("alice");
    ws.sendText("{\"type\":\"create\",\"room\":\"general\",\"id\":\"c\"}", true).get(10, TimeUnit.SECONDS);
    assertThat(alice.next("created").path("room").asText()).isEqualTo("general");
    ws.sendText("{\"type\":\"join\",\"room\":\"general\",\"id\":\"j\"}", true).get(10, TimeUnit.SECONDS);
    assertThat(alice.next("joined").path("id").asText()).isEqualTo("j");
    ws.sendText("{\"type\":\"send\",\"room\":\"general\",\"text\":\"over tls\",\"id\":\"s\"}", true).get(10, TimeUnit.SECONDS);
    assertThat(alice.next("ack").path("id").asText()).isEqualTo("s");
    assertThat(alice.next("message").path("text").asText()).isEqualTo("over tls");
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
  }

  @Test
  void httpsPageCarriesHsts() throws Exception {
    start(ca.issue(dir, "127.0.0.1"));
    HttpClient http = HttpClient.newBuilder().sslContext(TlsTestCa.trusting(ca)).build();
    HttpResponse<String> page = http.send(
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + gateway.port() + "/")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("wss://");
    assertThat(page.headers().firstValue("Strict-Transport-Security")).hasValue("max-age=31536000");
    HttpResponse<String> missing = http.send(
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + gateway.port() + "/nope")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.headers().firstValue("Strict-Transport-Security")).hasValue("max-age=31536000");
  }

  @Test
  void plainWebSocketAndHttpToTheTlsPortFail() throws Exception {
    start(ca.issue(dir, "127.0.0.1"));
    HttpClient http = HttpClient.newHttpClient();
    assertThatThrownBy(() -> http.newWebSocketBuilder()
            .buildAsync(URI.create("ws://127.0.0.1:" + gateway.port() + "/ws"), new Frames()).get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class);
    assertThatThrownBy(() -> http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/")).build(),
            HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(java.io.IOException.class);
  }

  @Test
  void plainGatewayStaysTheDefault() {
    gateway = WebSocketGateway.builder(node).port(0).build().start();
    assertThat(gateway.secure()).isFalse();
  }

  @Test
  void clientRejectsAWrongHostCertificate() throws Exception {
    start(ca.issue(dir, "chat.example.com"));
    assertHandshakeRejected(TlsTestCa.trusting(ca), "No subject alternative names matching IP address 127.0.0.1");
  }

  @Test
  void clientRejectsAnExpiredCertificate() throws Exception {
    Instant now = Instant.now();
    start(ca.issue(dir, now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)), "127.0.0.1"));
    assertHandshakeRejected(TlsTestCa.trusting(ca), "validity check failed");
  }

  @Test
  void clientRejectsACertificateOfAnotherCa() throws Exception {
    start(ca.issue(dir, "127.0.0.1"));
    assertHandshakeRejected(TlsTestCa.trusting(new TlsTestCa("other CA")), "PKIX path building failed");
  }

  private void assertHandshakeRejected(SSLContext trust, String why) {
    HttpClient http = HttpClient.newBuilder().sslContext(trust).build();
    assertThatThrownBy(() -> http.newWebSocketBuilder()
            .buildAsync(URI.create("wss://127.0.0.1:" + gateway.port() + "/ws"), new Frames()).get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(SSLHandshakeException.class)
        .hasMessageContaining(why);
  }

  @Test
  void missingUnreadableOrMismatchedFilesAreNamed() throws Exception {
    TlsTestCa.Issued a = ca.issue(dir.resolve("a"), "127.0.0.1");
    TlsTestCa.Issued b = ca.issue(dir.resolve("b"), "127.0.0.1");
    Path nowhere = dir.resolve("nowhere.pem");
    assertBadRequest(() -> WebSocketGateway.builder(node).tls(nowhere, a.key()).build(), "nowhere.pem");
    assertBadRequest(() -> WebSocketGateway.builder(node).tls(a.chain(), dir.resolve("no.key")).build(), "no.key");
    assertBadRequest(() -> WebSocketGateway.builder(node).tls(a.chain(), b.key()).build(), "does not belong", b.key().toString(), a.chain().toString());
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate");
    assertBadRequest(() -> WebSocketGateway.builder(node).tls(garbage, a.key()).build(), garbage.toString());
    Path rsa = Files.writeString(dir.resolve("rsa.key"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
    assertBadRequest(() -> WebSocketGateway.builder(node).tls(a.chain(), rsa).build(), rsa.toString(), "PKCS#8");
    assertBadRequest(() -> WebSocketGateway.builder(node).tls(a.key(), a.chain()).build(), "a/server");
  }

  private static void assertBadRequest(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String... mentions) {
    assertThatThrownBy(call).isInstanceOfSatisfying(ChatException.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
      assertThat(e.getMessage()).contains(mentions);
    });
  }

  @Test
  void replacedFilesServeNewConnectionsTheNewCertificate() throws Exception {
    TlsTestCa.Issued first = ca.issue(dir, "127.0.0.1");
    start(first);
    SSLContext trust = TlsTestCa.trusting(ca);
    assertThat(servedCertificate(trust)).isEqualTo(first.certificate());
    assertThat(gateway.reloadTls()).as("unchanged files are not reloaded").isFalse();

    FileTime before = Files.getLastModifiedTime(first.chain());
    TlsTestCa.Issued second = ca.issue(dir, "127.0.0.1"); // same file names
    touch(second, before);
    assertThat(servedCertificate(trust)).as("not before the refresh").isEqualTo(first.certificate());
    assertThat(gateway.reloadTls()).isTrue();
    assertThat(servedCertificate(trust)).isEqualTo(second.certificate());

    // a broken replacement keeps the last good certificate
    Files.writeString(second.key(), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    Files.setLastModifiedTime(second.key(), FileTime.from(before.toInstant().plusSeconds(20)));
    assertThat(gateway.reloadTls()).isFalse();
    assertThat(servedCertificate(trust)).isEqualTo(second.certificate());
  }

  @Test
  void periodicRefreshPicksUpReplacedFiles() throws Exception {
    TlsTestCa.Issued first = ca.issue(dir, "127.0.0.1");
    gateway = WebSocketGateway.builder(node).port(0).tls(first.chain(), first.key())
        .tlsRefreshPeriod(Duration.ofMillis(20)).build().start();
    FileTime before = Files.getLastModifiedTime(first.chain());
    TlsTestCa.Issued second = ca.issue(dir, "127.0.0.1");
    touch(second, before);
    SSLContext trust = TlsTestCa.trusting(ca);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> servedCertificate(trust).equals(second.certificate()));
  }

  /** Gives rewritten files a modification time after {@code before}, whatever the file system's resolution. */
  private static void touch(TlsTestCa.Issued files, FileTime before) throws Exception {
    FileTime later = FileTime.from(before.toInstant().plusSeconds(10));
    Files.setLastModifiedTime(files.chain(), later);
    Files.setLastModifiedTime(files.key(), later);
  }

  private X509Certificate servedCertificate(SSLContext trust) throws Exception {
    try (SSLSocket s = (SSLSocket) trust.getSocketFactory().createSocket("127.0.0.1", gateway.port())) {
      s.startHandshake();
      assertThat(s.getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }

  @Test
  void onlyTls12And13AreEnabled() throws Exception {
    TlsTestCa.Issued files = ca.issue(dir, "127.0.0.1");
    javax.net.ssl.SSLEngine engine = GatewayTls.load(files.chain(), files.key())
        .newEngine(io.netty.buffer.ByteBufAllocator.DEFAULT);
    assertThat(engine.getEnabledProtocols()).containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
    start(files);
    try (SSLSocket s = (SSLSocket) TlsTestCa.trusting(ca).getSocketFactory().createSocket("127.0.0.1", gateway.port())) {
      s.setEnabledProtocols(new String[] {"TLSv1.2"});
      s.startHandshake();
      assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.2");
    }
    assertThat(servedCertificate(TlsTestCa.trusting(ca)).getSerialNumber()).isEqualTo(files.certificate().getSerialNumber());
  }

  /** Collects a WebSocket's text frames as JSON. */
  private static final class Frames implements WebSocket.Listener {
    private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        try {
          frames.add(JSON.readTree(partial.toString()));
        } catch (java.io.IOException e) {
          throw new IllegalStateException(e);
        }
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    private final java.util.List<JsonNode> skipped = new java.util.ArrayList<>();

    /** The first frame of {@code type} not returned yet (frames of other types are kept for later). */
    JsonNode next(String type) throws InterruptedException {
      for (java.util.Iterator<JsonNode> it = skipped.iterator(); it.hasNext(); ) {
        JsonNode f = it.next();
        if (f.path("type").asText().equals(type)) {
          it.remove();
          return f;
        }
      }
      while (true) {
        JsonNode f = frames.poll(10, TimeUnit.SECONDS);
        assertThat(f).as("a %s frame", type).isNotNull();
        if (f.path("type").asText().equals(type)) {
          return f;
        }
        skipped.add(f);
      }
    }
  }
}
