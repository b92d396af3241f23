package io.chatmesh.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.chatmesh.ChatException;
import io.chatmesh.ChatNode;
import io.chatmesh.NodeId;
import io.chatmesh.Room;
import io.chatmesh.UserId;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.wire.Heartbeat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS between nodes over real gRPC on 127.0.0.1, played by hostile peers: a stranger
 * without a certificate, one with a certificate from another CA, one whose certificate names no
 * node, and a real node (certificate for n2) that claims to be n3. Each test makes its own CA.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GrpcTlsTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Duration REFRESH = Duration.ofMillis(100);

  @TempDir Path dir;
  private final TestCa ca = new TestCa("chatmesh test cluster CA");
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  @Test
  void nodesWithClusterCertificatesExchangeEnvelopes() {
    List<Envelope> got = new CopyOnWriteArrayList<>();
    GrpcTransport n1 = start(tls("n1"), got);
    GrpcTransport n2 = start(tls("n2"), new CopyOnWriteArrayList<>());
    n2.send(n1.address(), env("n2", 1));
    await().atMost(WAIT).until(() -> got.size() == 1);
    assertThat(got.get(0).from()).isEqualTo(NodeId.of("n2"));
  }

  @Test
  void aStrangerWithoutACertificateGetsNoLink() {
    List<Envelope> got = new CopyOnWriteArrayList<>();
    GrpcTransport n1 = start(tls("n1"), got);
    GrpcTransport stranger = start(GrpcTransport.builder("127.0.0.1:0").plaintext(), new CopyOnWriteArrayList<>());
    stranger.send(n1.address(), env("n2", 1));
    await().atMost(WAIT).until(() -> stranger.linkError(n1.address()).isPresent());
    assertThat(got).isEmpty();
    assertThat(stranger.stats().envelopesSent()).isZero();
  }

  @Test
  void aStrangerWithACertificateFromAnotherCaGetsNoLink() {
    List<Envelope> got = new CopyOnWriteArrayList<>();
    GrpcTransport n1 = start(tls("n1"), got);
    TestCa other = new TestCa("someone else's CA");
    Path d = other.issue(dir.resolve("impostor"), "n2");
    GrpcTransport impostor = start(GrpcTransport.builder("127.0.0.1:0").tls(TestCa.tls(d, REFRESH)), new CopyOnWriteArrayList<>());
    impostor.send(n1.address(), env("n2", 1));
    await().atMost(WAIT).until(() -> impostor.linkError(n1.address()).isPresent());
    assertThat(got).isEmpty();
  }

  @Test
  void aCertificateThatNamesNoNodeGetsNoLink() {
    List<Envelope> got = new CopyOnWriteArrayList<>();
    GrpcTransport n1 = start(tls("n1"), got);
    Path d = ca.issue(dir.resolve("anonymous"), null);
    GrpcTransport anonymous = start(GrpcTransport.builder("127.0.0.1:0").tls(TestCa.tls(d, REFRESH)), new CopyOnWriteArrayList<>());
    anonymous.send(n1.address(), env("n2", 1));
    await().atMost(WAIT).until(() -> anonymous.linkError(n1.address()).isPresent());
    assertThat(anonymous.linkError(n1.address()).orElseThrow()).contains("UNAUTHENTICATED").contains("no certificate naming");
    assertThat(got).isEmpty();
  }

  @Test
  void aValidCertificateForN2CannotSpeakAsN3() {
    List<Envelope> got = new CopyOnWriteArrayList<>();
    GrpcTransport n1 = start(tls("n1"), got);
    GrpcTransport n2 = start(tls("n2"), new CopyOnWriteArrayList<>());
    try (LogCapture logs = new LogCapture()) {
      n2.send(n1.address(), env("n3", 1)); // forged sender
      n2.send(n1.address(), env("n2", 2)); // the same link, later: its arrival proves the first was handled
      await().atMost(WAIT).until(() -> got.size() == 1);
      assertThat(got).extracting(e -> e.from().value()).containsExactly("n2");
      assertThat(logs.text()).contains("claims to come from node n3").contains("whose certificate is for node n2");
    }
  }

  @Test
  void aRenewedCaFileIsPickedUpWithoutARestart() throws IOException {
    List<Envelope> got = new CopyOnWriteArrayList<>();
    Path d1 = ca.issue(dir.resolve("n1"), "n1");
    GrpcTransport n1 = start(GrpcTransport.builder("127.0.0.1:0").tls(TestCa.tls(d1, REFRESH)), got);
    TestCa newCa = new TestCa("next year's CA");
    Path d2 = newCa.issue(dir.resolve("n2"), "n2");
    rewrite(d2.resolve("ca.pem"), ca.caPem() + newCa.caPem()); // n2 trusts n1's CA too
    GrpcTransport n2 = start(GrpcTransport.builder("127.0.0.1:0").tls(TestCa.tls(d2, REFRESH)), new CopyOnWriteArrayList<>());
    n2.send(n1.address(), env("n2", 1));
    await().atMost(WAIT).until(() -> n2.linkError(n1.address()).isPresent());
    assertThat(got).isEmpty();
    rewrite(d1.resolve("ca.pem"), ca.caPem() + newCa.caPem()); // n1 learns the new CA from its file
    await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
      n2.send(n1.address(), env("n2", 2));
      return !got.isEmpty();
    });
    assertThat(got).allSatisfy(e -> assertThat(e.from().value()).isEqualTo("n2"));
  }

  @Test
  void aMissingFileIsNamedWhenTheSettingsAreBuilt() {
    Path d = ca.issue(dir.resolve("n1"), "n1");
    assertThatThrownBy(() -> GrpcTls.builder().trustedCa(d.resolve("ca.pem")).certificateChain(d.resolve("node.pem"))
            .privateKey(d.resolve("missing.key")).build())
        .isInstanceOf(ChatException.class)
        .hasMessageContaining("missing.key");
    assertThatThrownBy(() -> GrpcTls.fromDirectory(dir.resolve("nowhere")))
        .isInstanceOf(ChatException.class)
        .hasMessageContaining("nowhere");
  }

  @Test
  void aClusterOfChatNodesWorksOverMutualTls() {
    ChatNode n1 = node("n1", List.of());
    ChatNode n2 = node("n2", List.of(n1.address()));
    await().atMost(WAIT).until(() -> n1.liveNodes().contains(n2.id()) && n2.liveNodes().contains(n1.id()));
    Room general = n1.createRoom("general").orTimeout(10, TimeUnit.SECONDS).join();
    List<String> texts = new CopyOnWriteArrayList<>();
    general.join(UserId.of("alice"), e -> {
      if (e instanceof io.chatmesh.ChatMessage m) {
        texts.add(m.text());
      }
    }).orTimeout(10, TimeUnit.SECONDS).join();
    await().atMost(WAIT).until(() -> n2.room("general").isPresent());
    Room onN2 = n2.room("general").orElseThrow();
    onN2.join(UserId.of("bob"), e -> {}).orTimeout(10, TimeUnit.SECONDS).join();
    onN2.send(UserId.of("bob"), "over mutual TLS").orTimeout(10, TimeUnit.SECONDS).join();
    await().atMost(WAIT).until(() -> texts.contains("over mutual TLS"));
  }

  // ------------------------------------------------------------------ helpers

  private GrpcTransport.Builder tls(String node) {
    return GrpcTransport.builder("127.0.0.1:0").tls(TestCa.tls(ca.issue(dir.resolve(node), node), REFRESH));
  }

  private GrpcTransport start(GrpcTransport.Builder b, List<Envelope> sink) {
    GrpcTransport t = b.backoff(Duration.ofMillis(20), Duration.ofMillis(200), 0.2).closeGracePeriod(Duration.ofMillis(200)).build();
    toClose.add(t);
    t.start(sink::add);
    return t;
  }

  private ChatNode node(String name, List<String> seeds) {
    GrpcTransport t = tls(name).backoff(Duration.ofMillis(20), Duration.ofMillis(200), 0.2).closeGracePeriod(Duration.ofMillis(200)).build();
    ChatNode n = ChatNode.builder().nodeId(name).transport(t).seeds(seeds)
        .heartbeatInterval(Duration.ofMillis(100)).failureTimeout(Duration.ofSeconds(5)).build().start();
    toClose.add(n);
    return n;
  }

  private static Envelope env(String from, long i) {
    return new Envelope(NodeId.of(from), 1_000_000 + i, new Heartbeat());
  }

  /** Replaces a file's content and moves its modification time forward, so the refresh sees it. */
  private static void rewrite(Path p, String content) throws IOException {
    FileTime before = Files.getLastModifiedTime(p);
    Files.writeString(p, content, StandardCharsets.US_ASCII);
    Instant later = before.toInstant().plusSeconds(2);
    Files.setLastModifiedTime(p, FileTime.from(later));
  }
}
