package io.chatmesh.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.UserId;
import io.chatmesh.proto.v1.EnvelopeProto;
import io.chatmesh.proto.v1.MembershipProto;
import io.chatmesh.proto.v1.NodeLinkGrpc;
import io.chatmesh.proto.v1.TransportProto;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.spi.transport.Transports;
import io.chatmesh.wire.SendRequest;
import io.chatmesh.wire.WireMessage;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** gRPC-specific behaviour beyond the shared contract: batching, flow control, bad peers, shutdown. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GrpcTransportTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final NodeId A = NodeId.of("a");

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private GrpcTransport transport(GrpcTransport.Builder b, List<Envelope> sink) {
    GrpcTransport t = b.backoff(Duration.ofMillis(20), Duration.ofMillis(300), 0.2).build();
    toClose.add(t);
    t.start(sink::add);
    return t;
  }

  private GrpcTransport transport(List<Envelope> sink) {
    return transport(GrpcTransport.builder("127.0.0.1:0").plaintext(), sink);
  }

  private static Envelope env(long i) {
    return new Envelope(A, 1, new SendRequest(i, "r", UserId.of("u"), "c" + i, "text " + i));
  }

  private static Envelope env(long i, int textChars) {
    return new Envelope(A, 1, new SendRequest(i, "r", UserId.of("u"), "c" + i, "x".repeat(textChars)));
  }

  private static int port(GrpcTransport t) {
    return HostPort.parse(t.address()).port();
  }

  @Test
  void isFoundByNameThroughServiceLoader() {
    withMode("plaintext", () -> {
      Transport t = Transports.create("grpc", "127.0.0.1:0");
      try {
        assertThat(t).isInstanceOf(GrpcTransport.class);
        assertThat(t.start(e -> {})).startsWith("127.0.0.1:").doesNotEndWith(":0");
      } finally {
        t.close();
      }
    });
  }

  @Test
  void withoutAnExplicitSecurityModeNoTransportIsMade() {
    withMode(null, () -> assertThatThrownBy(() -> Transports.create("grpc", "127.0.0.1:0"))
        .isInstanceOf(ChatException.class)
        .hasMessageContaining(GrpcTransportProvider.MODE_PROPERTY)
        .hasMessageContaining("plaintext"));
    assertThatThrownBy(() -> GrpcTransport.builder("127.0.0.1:0").build())
        .isInstanceOf(ChatException.class)
        .hasMessageContaining("tls(GrpcTls)")
        .hasMessageContaining("plaintext()");
  }

  @Test
  void aChatNodePicksItByName() {
    withMode("plaintext", () -> {
      io.chatmesh.ChatNode node = io.chatmesh.ChatNode.builder().nodeId("solo").transport("grpc", "127.0.0.1:0").build();
      try {
        node.start();
        assertThat(node.address()).startsWith("127.0.0.1:").doesNotEndWith(":0");
        assertThat(node.createRoom("lobby").orTimeout(10, TimeUnit.SECONDS).join().name()).isEqualTo("lobby");
      } finally {
        node.close();
      }
    });
  }

  /** Runs {@code body} with the provider's security mode property set to {@code mode} (null: unset). */
  private static void withMode(@org.jspecify.annotations.Nullable String mode, Runnable body) {
    String before = System.getProperty(GrpcTransportProvider.MODE_PROPERTY);
    try {
      if (mode == null) {
        System.clearProperty(GrpcTransportProvider.MODE_PROPERTY);
      } else {
        System.setProperty(GrpcTransportProvider.MODE_PROPERTY, mode);
      }
      body.run();
    } finally {
      if (before == null) {
        System.clearProperty(GrpcTransportProvider.MODE_PROPERTY);
      } else {
        System.setProperty(GrpcTransportProvider.MODE_PROPERTY, before);
      }
    }
  }

  @Test
  void rejectsBadSettingsNamingThem() {
    assertThatThrownBy(() -> GrpcTransport.builder("localhost"))
        .isInstanceOf(ChatException.class)
        .hasMessageContaining("host:port");
    assertThatThrownBy(() -> GrpcTransport.builder("127.0.0.1:0").maxMessageSize(10))
        .hasMessageContaining("maxMessageSize");
    assertThatThrownBy(
            () -> GrpcTransport.builder("127.0.0.1:0").backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 0.1))
        .hasMessageContaining("backoff");
  }

  @Test
  void bindFailureIsUnavailableNamingTheAddress() {
    GrpcTransport first = transport(new CopyOnWriteArrayList<>());
    GrpcTransport second = GrpcTransport.builder(first.address()).plaintext().build();
    assertThatThrownBy(() -> second.start(e -> {}))
        .isInstanceOf(ChatException.class)
        .hasMessageContaining(first.address())
        .extracting(e -> ((ChatException) e).code())
        .isEqualTo(ErrorCode.UNAVAILABLE);
    second.close();
  }

  @Test
  void coalescesQueuedEnvelopesIntoBatches() {
    List<Envelope> got = new CopyOnWriteArrayList<>();
    GrpcTransport b = transport(got);
    int n = 20_000;
    // the queue holds all n: they are queued faster than the link opens (the default bound is 10,000)
    GrpcTransport a = transport(GrpcTransport.builder("127.0.0.1:0").plaintext().maxQueuedEnvelopes(n), new CopyOnWriteArrayList<>());
    for (int i = 0; i < n; i++) {
      a.send(b.address(), env(i));
    }
    await().atMost(WAIT).until(() -> got.size() == n || a.stats().droppedQueueFull() > 0);
    GrpcTransport.Stats s = a.stats();
    assertThat(s.droppedQueueFull()).isZero();
    assertThat(got).hasSize(n);
    assertThat(ids(got)).as("in send order").isSorted().doesNotHaveDuplicates();
    assertThat(s.envelopesSent()).isEqualTo(n);
    assertThat(s.batchesSent()).as("gRPC messages for %d envelopes", n).isLessThan(n / 10);
    assertThat(b.stats().envelopesReceived()).isEqualTo(n);
  }

  @Test
  void aSlowPeerFillsOnlyTheBoundedQueueNotMemory() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<Envelope> got = new CopyOnWriteArrayList<>();
    GrpcTransport slow =
        transport(
            GrpcTransport.builder("127.0.0.1:0").plaintext(),
            new ArrayList<>() {
              @Override
              public boolean add(Envelope e) {
                try {
                  release.await(30, TimeUnit.SECONDS); // a receiver that is stuck (breaks its contract)
                } catch (InterruptedException ex) {
                  Thread.currentThread().interrupt();
                }
                return got.add(e);
              }
            });
    int bound = 200;
    GrpcTransport a = transport(GrpcTransport.builder("127.0.0.1:0").plaintext().maxQueuedEnvelopes(bound), new ArrayList<>());
    int n = 3000; // 3000 x 10 KB = 30 MB offered, far beyond HTTP/2 windows and the queue bound
    assertThat(a.isWritable(slow.address())).as("writable before anything is queued").isTrue();
    try (LogCapture logs = new LogCapture("outbound queue to " + slow.address() + " is full")) {
      for (int i = 0; i < n; i++) {
        a.send(slow.address(), env(i, 10_000));
      }
      await().atMost(WAIT).until(() -> a.stats().droppedQueueFull() > 0);
      await().atMost(WAIT).until(() -> logs.text().contains("outbound queue to " + slow.address() + " is full"));
    }
    assertThat(a.isWritable(slow.address())).as("not writable while the queue is above half its bound").isFalse();
    GrpcTransport.Stats s = a.stats();
    assertThat(s.queued()).isLessThanOrEqualTo(bound);
    assertThat(s.envelopesSent()).as("written while the peer was stuck").isLessThan(n / 4);
    assertThat(s.envelopesSent() + s.droppedQueueFull() + s.queued()).isEqualTo(n);

    release.countDown();
    await().atMost(WAIT).until(() -> a.stats().queued() == 0 && got.size() == a.stats().envelopesSent());
    assertThat(a.isWritable(slow.address())).as("writable again once drained").isTrue();
    List<Long> ids = got.stream().map(e -> ((SendRequest) e.message()).requestId()).toList();
    assertThat(ids).isSorted().doesNotHaveDuplicates();
    // and the link keeps working afterwards
    a.send(slow.address(), env(1_000_000));
    await().atMost(WAIT).until(() -> got.size() == a.stats().envelopesSent() && ids(got).contains(1_000_000L));
  }

  private static List<Long> ids(List<Envelope> got) {
    return got.stream().map(e -> ((SendRequest) e.message()).requestId()).toList();
  }

  @Test
  void anOversizedMessageClosesOnlyThatPeersStreamWithALogLineNamingIt() {
    List<Envelope> got = new CopyOnWriteArrayList<>();
    GrpcTransport b = transport(GrpcTransport.builder("127.0.0.1:0").plaintext().maxMessageSize(64 << 10), got);
    GrpcTransport big = transport(GrpcTransport.builder("127.0.0.1:0").plaintext().maxMessageSize(4 << 20), new ArrayList<>());
    GrpcTransport good = transport(new CopyOnWriteArrayList<>());
    good.send(b.address(), env(1));
    await().atMost(WAIT).until(() -> got.size() == 1);
    try (LogCapture logs = new LogCapture("closed inbound link from " + big.address(), "gRPC message exceeds maximum size")) {
      big.send(b.address(), new Envelope(NodeId.of("big"), 1, new SendRequest(0, "r", UserId.of("u"), "c", "y".repeat(200_000))));
      await()
          .atMost(WAIT)
          .until(() -> logs.text().contains("closed inbound link from " + big.address() + " (connection 127.0.0.1:"));
      assertThat(logs.text()).contains("exceeds maximum");
      await().atMost(WAIT).until(() -> big.linkError(b.address()).isPresent());
    }
    assertThat(b.stats().inboundStreamsRejected()).isPositive();
    // the oversized envelope never reached the receiver, the good peer still gets through
    for (int i = 2; i <= 100; i++) {
      good.send(b.address(), env(i));
    }
    await().atMost(WAIT).until(() -> got.size() == 100);
    assertThat(got).allSatisfy(e -> assertThat(e.from()).isEqualTo(A));
    // and the offender can still send normal envelopes on a new stream
    big.send(b.address(), new Envelope(NodeId.of("big"), 1, new SendRequest(1, "r", UserId.of("u"), "c", "small")));
    await().atMost(WAIT).until(() -> got.size() == 101);
  }

  @Test
  void aMalformedEnvelopeClosesThatStreamWithALogLineNamingThePeer() throws Exception {
    List<Envelope> got = new CopyOnWriteArrayList<>();
    GrpcTransport b = transport(got);
    GrpcTransport good = transport(new CopyOnWriteArrayList<>());
    ManagedChannel ch = rawChannel(b);
    CompletableFuture<Status> closed = new CompletableFuture<>();
    ClientCall<EnvelopeProto.EnvelopeBatch, TransportProto.LinkEvent> call =
        ch.newCall(NodeLinkGrpc.getLinkMethod(), CallOptions.DEFAULT);
    Metadata h = new Metadata();
    h.put(GrpcTransport.VERSIONS_HEADER, WireMessage.MIN_PROTOCOL_VERSION + "-" + WireMessage.PROTOCOL_VERSION);
    h.put(GrpcTransport.FROM_HEADER, "127.0.0.1:6666");
    try (LogCapture logs = new LogCapture("closing inbound link from 127.0.0.1:6666")) {
      call.start(listener(closed), h);
      call.request(10);
      call.sendMessage(
          EnvelopeProto.EnvelopeBatch.newBuilder()
              .addEnvelopes(
                  EnvelopeProto.Envelope.newBuilder()
                      .setFrom("n9")
                      .setGoodbye(MembershipProto.Goodbye.newBuilder().setReason("valid first")))
              .addEnvelopes(
                  EnvelopeProto.Envelope.newBuilder()
                      .setFrom("bad id!")
                      .setGoodbye(MembershipProto.Goodbye.newBuilder().setReason("x")))
              .build());
      Status s = closed.get(10, TimeUnit.SECONDS);
      assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(s.getDescription()).contains("envelope.from");
      await().atMost(WAIT).until(() -> logs.text().contains("closing inbound link from 127.0.0.1:6666"));
    }
    assertThat(got).as("a batch with a malformed envelope is not delivered at all").isEmpty();
    good.send(b.address(), env(1));
    await().atMost(WAIT).until(() -> got.size() == 1);
  }

  @Test
  void garbageBytesOnTheSocketDoNotHurtTheServer() throws Exception {
    List<Envelope> got = new CopyOnWriteArrayList<>();
    GrpcTransport b = transport(got);
    GrpcTransport good = transport(new CopyOnWriteArrayList<>());
    good.send(b.address(), env(0));
    await().atMost(WAIT).until(() -> got.size() == 1);
    try (LogCapture logs = new LogCapture("disconnected 127.0.0.1:", "Transport failed")) {
      for (int round = 0; round < 3; round++) {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", port(b)), 5_000);
          s.setSoTimeout(10_000);
          byte[] junk = new byte[64 * 1024];
          new Random(round).nextBytes(junk);
          OutputStream out = s.getOutputStream();
          // round 0: pure junk; 1: an HTTP/1 request; 2: a valid HTTP/2 preface, then junk frames
          String prefix = round == 0 ? "" : round == 1 ? "GET / HTTP/1.1\r\nHost: x\r\n\r\n" : "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
          out.write(prefix.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          try {
            out.write(junk);
            out.flush();
          } catch (java.io.IOException closedByServer) {
            // the server may already have hung up
          }
          // the server hangs up: read until EOF (or reset)
          InputStream in = s.getInputStream();
          try {
            while (in.read(new byte[4096]) >= 0) {
              // drain
            }
          } catch (java.net.SocketException reset) {
            // connection reset by the server also counts as hung up
          }
          int localPort = s.getLocalPort();
          long rejected = round + 1;
          await().atMost(WAIT).until(() -> b.stats().inboundStreamsRejected() >= rejected);
          if (round == 0) {
            await().atMost(WAIT).until(() -> logs.text().contains("disconnected 127.0.0.1:" + localPort + ": "));
          }
        }
      }
      // a host that keeps failing is logged once per interval, not once per connection
      assertThat(logs.text().split("disconnected 127.0.0.1:", -1)).hasSize(2);
    }
    for (int i = 1; i < 100; i++) {
      good.send(b.address(), env(i));
    }
    await().atMost(WAIT).until(() -> got.size() == 100);
  }

  @Test
  void closeAndCrashLeaveNoThreadsOrChannelsBehind() {
    Set<String> before = grpcThreads();
    List<Envelope> got = new CopyOnWriteArrayList<>();
    GrpcTransport x = GrpcTransport.builder("127.0.0.1:0").plaintext().build();
    GrpcTransport y = GrpcTransport.builder("127.0.0.1:0").plaintext().build();
    GrpcTransport z = GrpcTransport.builder("127.0.0.1:0").plaintext().build();
    x.start(got::add);
    y.start(got::add);
    z.start(got::add);
    for (int i = 0; i < 100; i++) {
      x.send(y.address(), env(i));
      y.send(z.address(), env(i));
      z.send(x.address(), env(i));
    }
    await().atMost(WAIT).until(() -> got.size() == 300);
    assertThat(threadsStartingWith(x.threadNamePrefix())).isNotEmpty();
    x.close();
    y.crash();
    z.close();
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(threadsStartingWith(x.threadNamePrefix())).isEmpty();
              assertThat(threadsStartingWith(y.threadNamePrefix())).isEmpty();
              assertThat(threadsStartingWith(z.threadNamePrefix())).isEmpty();
              Set<String> now = grpcThreads();
              now.removeAll(before);
              assertThat(now).as("gRPC/Netty threads started and not stopped").isEmpty();
            });
  }

  @Test
  void aCrashedTransportsPortCanBeBoundAgainAtOnce() {
    List<Envelope> got = new CopyOnWriteArrayList<>();
    GrpcTransport b = GrpcTransport.builder("127.0.0.1:0").plaintext().build();
    String address = b.start(got::add);
    b.crash();
    GrpcTransport again = GrpcTransport.builder(address).plaintext().build();
    toClose.add(again);
    assertThat(again.start(got::add)).isEqualTo(address);
  }

  private static Set<String> grpcThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.contains("grpc") || n.contains("netty") || n.contains("chatmesh"))
        .collect(Collectors.toSet());
  }

  private static List<String> threadsStartingWith(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith(prefix))
        .toList();
  }

  private ManagedChannel rawChannel(GrpcTransport to) {
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port(to)).usePlaintext().build();
    toClose.add(
        () -> {
          ch.shutdownNow();
          ch.awaitTermination(5, TimeUnit.SECONDS);
        });
    return ch;
  }

  private static ClientCall.Listener<TransportProto.LinkEvent> listener(CompletableFuture<Status> closed) {
    return new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    };
  }
}
