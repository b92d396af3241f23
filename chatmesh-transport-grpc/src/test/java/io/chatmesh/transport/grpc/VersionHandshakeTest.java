package io.chatmesh.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.chatmesh.NodeId;
import io.chatmesh.UserId;
import io.chatmesh.proto.v1.EnvelopeProto;
import io.chatmesh.proto.v1.MembershipProto;
import io.chatmesh.proto.v1.NodeLinkGrpc;
import io.chatmesh.proto.v1.TransportProto;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.wire.Goodbye;
import io.chatmesh.wire.SendRequest;
import io.chatmesh.wire.WireMessage;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The one version handshake at link open (ranges, highest common version, refusal naming both
 * ranges, logged once per interval), callers from before negotiation, and unknown body types
 * skipped and counted on a link that stays up.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VersionHandshakeTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final NodeId A = NodeId.of("a");

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private GrpcTransport transport(int min, int max, List<Envelope> sink) {
    GrpcTransport t =
        GrpcTransport.builder("127.0.0.1:0").plaintext()
            .protocolVersions(min, max)
            .backoff(Duration.ofMillis(20), Duration.ofMillis(100), 0.2)
            .build();
    toClose.add(t);
    t.start(sink::add);
    return t;
  }

  private static Envelope env(long i) {
    return new Envelope(A, 1, new SendRequest(i, "r", UserId.of("u"), "c" + i, "text " + i));
  }

  @Test
  void theLinkSpeaksTheHighestVersionBothNodesSpeak() {
    List<Envelope> atOld = new CopyOnWriteArrayList<>();
    List<Envelope> atNew = new CopyOnWriteArrayList<>();
    List<Envelope> atNewer = new CopyOnWriteArrayList<>();
    GrpcTransport old = transport(1, 1, atOld);
    GrpcTransport next = transport(1, 2, atNew);
    GrpcTransport newer = transport(2, 3, atNewer);

    next.send(old.address(), env(1));
    old.send(next.address(), env(2));
    next.send(newer.address(), env(3));
    newer.send(next.address(), env(4));
    await().atMost(WAIT).until(() -> atOld.size() == 1 && atNew.size() == 2 && atNewer.size() == 1);

    assertThat(next.linkProtocolVersion(old.address())).isEqualTo(OptionalInt.of(1));
    assertThat(old.linkProtocolVersion(next.address())).isEqualTo(OptionalInt.of(1));
    assertThat(next.linkProtocolVersion(newer.address())).isEqualTo(OptionalInt.of(2));
    assertThat(newer.linkProtocolVersion(next.address())).isEqualTo(OptionalInt.of(2));
    assertThat(old.linkProtocolVersion(newer.address())).as("no link yet").isEmpty();
  }

  @Test
  void withoutACommonVersionTheLinkIsRefusedNamingBothRangesAndLoggedOncePerIntervalNotPerRetry() {
    List<Envelope> got = new CopyOnWriteArrayList<>();
    GrpcTransport old = transport(1, 1, got);
    GrpcTransport newer = transport(2, 3, new CopyOnWriteArrayList<>());
    try (LogCapture logs = new LogCapture("refusing inbound link: incompatible chatmesh protocol", "refused, incompatible protocol")) {
      // keep sending so the link is retried (a refusal drops what was queued)
      await()
          .atMost(WAIT)
          .until(
              () -> {
                newer.send(old.address(), env(1));
                return old.stats().inboundStreamsRejected() >= 4;
              });
      String error = newer.linkError(old.address()).orElseThrow();
      assertThat(error)
          .contains("FAILED_PRECONDITION")
          .contains("peer " + newer.address())
          .contains("speaks protocol versions [2, 3]")
          .contains("this node (" + old.address() + ") speaks versions [1, 1]")
          .contains("no common version");
      assertThat(newer.linkProtocolVersion(old.address())).isEmpty();
      assertThat(count(logs.text(), "refusing inbound link: incompatible chatmesh protocol")).isEqualTo(1);
      assertThat(count(logs.text(), "link to " + old.address() + " refused, incompatible protocol")).isEqualTo(1);
    }
    assertThat(newer.stats().droppedRejected()).isPositive();
    assertThat(got).isEmpty();
  }

  private static int count(String text, String what) {
    Matcher m = Pattern.compile(Pattern.quote(what)).matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  @Test
  void aCallerFromBeforeNegotiationSendingOnlyItsVersionIsAcceptedWhenTheServerSpeaksIt() throws Exception {
    List<Envelope> got = new CopyOnWriteArrayList<>();
    GrpcTransport b = transport(1, 2, got);
    RawLink link = open(b, GrpcTransport.VERSION_HEADER, "1");
    assertThat(link.accepted.get(10, TimeUnit.SECONDS).getProtocolVersion()).isEqualTo(1);
    assertThat(link.headers.get(10, TimeUnit.SECONDS).get(GrpcTransport.VERSION_HEADER)).isEqualTo("1");
    link.send(goodbye("n9", "hello from the past"));
    await().atMost(WAIT).until(() -> got.size() == 1);
    assertThat(got.get(0).message()).isEqualTo(new Goodbye("hello from the past"));

    assertThat(refusal(b, GrpcTransport.VERSION_HEADER, "3"))
        .contains("speaks protocol versions [3, 3]")
        .contains("speaks versions [1, 2]");
  }

  private RawLink open(GrpcTransport to, Metadata.Key<String> header, String value) {
    Metadata h = new Metadata();
    h.put(header, value);
    return RawLink.open(this, to, h);
  }

  /** The description of the refusal of a link opened with {@code header: value}. */
  private String refusal(GrpcTransport to, Metadata.Key<String> header, String value) throws Exception {
    Status s = open(to, header, value).closed.get(10, TimeUnit.SECONDS);
    assertThat(s.getCode()).as(value).isEqualTo(Status.Code.FAILED_PRECONDITION);
    return s.getDescription();
  }

  @Test
  void aCallerRefusesAServerThatPicksAVersionOutsideTheCallersRange() throws Exception {
    // a broken server: accepts every link with version 7
    io.grpc.Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                new NodeLinkGrpc.NodeLinkImplBase() {
                  @Override
                  public StreamObserver<EnvelopeProto.EnvelopeBatch> link(StreamObserver<TransportProto.LinkEvent> out) {
                    out.onNext(
                        TransportProto.LinkEvent.newBuilder()
                            .setAccepted(TransportProto.LinkAccepted.newBuilder().setProtocolVersion(7))
                            .build());
                    return new StreamObserver<>() {
                      @Override
                      public void onNext(EnvelopeProto.EnvelopeBatch value) {}

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {
                        out.onCompleted();
                      }
                    };
                  }
                })
            .build()
            .start();
    toClose.add(
        () -> {
          server.shutdownNow();
          server.awaitTermination(5, TimeUnit.SECONDS);
        });
    String address = "127.0.0.1:" + server.getPort();
    GrpcTransport a = transport(1, 1, new CopyOnWriteArrayList<>());
    a.send(address, env(1));
    await().atMost(WAIT).until(() -> a.linkError(address).isPresent());
    assertThat(a.linkError(address).orElseThrow())
        .contains("accepted the link with chatmesh protocol version 7, outside this node's protocol versions [1, 1]");
    assertThat(a.linkProtocolVersion(address)).isEmpty();
    assertThat(a.stats().linksOpened()).isZero();
    assertThat(a.stats().envelopesSent()).isZero();
  }

  @Test
  void aLinkWithoutOrWithAnUnreadableVersionHeaderIsRefused() throws Exception {
    GrpcTransport b = transport(WireMessage.MIN_PROTOCOL_VERSION, WireMessage.PROTOCOL_VERSION, new CopyOnWriteArrayList<>());
    RawLink none = RawLink.open(this, b, new Metadata());
    Status s = none.closed.get(10, TimeUnit.SECONDS);
    assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(s.getDescription()).contains("(none sent)").contains("speaks versions [1, " + WireMessage.PROTOCOL_VERSION + "]");
    assertThat(none.trailers.get(10, TimeUnit.SECONDS).get(GrpcTransport.VERSIONS_HEADER))
        .isEqualTo(WireMessage.MIN_PROTOCOL_VERSION + "-" + WireMessage.PROTOCOL_VERSION);

    for (String bad : List.of("2-1", "x", "0-1", "1-")) {
      assertThat(refusal(b, GrpcTransport.VERSIONS_HEADER, bad)).as(bad).contains("'" + bad + "' (unreadable)");
    }
  }

  @Test
  void envelopesOfAnUnknownBodyTypeAreSkippedAndCountedAndTheLinkStaysUp() throws Exception {
    List<Envelope> got = new CopyOnWriteArrayList<>();
    GrpcTransport b = transport(1, 1, got);
    RawLink link = open(b, GrpcTransport.VERSIONS_HEADER, "1-2");
    assertThat(link.accepted.get(10, TimeUnit.SECONDS).getProtocolVersion()).isEqualTo(1);
    EnvelopeProto.Envelope reaction =
        EnvelopeProto.Envelope.newBuilder()
            .setFrom("n9")
            .setUnknownFields(
                UnknownFieldSet.newBuilder()
                    .addField(
                        NextVersionWire.REACTION_FIELD, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8("\n\u0001r")).build())
                    .build())
            .build();
    link.send(
        EnvelopeProto.EnvelopeBatch.newBuilder()
            .addEnvelopes(reaction)
            .addEnvelopes(goodbye("n9", "after an unknown one").getEnvelopes(0))
            .addEnvelopes(reaction)
            .build());
    await().atMost(WAIT).until(() -> got.size() == 1);
    assertThat(b.stats().unknownMessagesSkipped()).isEqualTo(2);
    link.send(goodbye("n9", "still up"));
    await().atMost(WAIT).until(() -> got.size() == 2);
    assertThat(got).extracting(Envelope::message)
        .containsExactly(new Goodbye("after an unknown one"), new Goodbye("still up"));
    assertThat(link.closed).isNotDone();
    assertThat(b.stats().inboundStreamsRejected()).isZero();
    assertThat(b.stats().envelopesReceived()).isEqualTo(2);
  }

  private static EnvelopeProto.EnvelopeBatch goodbye(String from, String reason) {
    return EnvelopeProto.EnvelopeBatch.newBuilder()
        .addEnvelopes(
            EnvelopeProto.Envelope.newBuilder().setFrom(from).setGoodbye(MembershipProto.Goodbye.newBuilder().setReason(reason)))
        .build();
  }

  /** A Link stream opened by hand with the generated stub's method and chosen request headers. */
  private static final class RawLink {
    final CompletableFuture<Metadata> headers = new CompletableFuture<>();
    final CompletableFuture<TransportProto.LinkAccepted> accepted = new CompletableFuture<>();
    final CompletableFuture<Status> closed = new CompletableFuture<>();
    final CompletableFuture<Metadata> trailers = new CompletableFuture<>();
    private final ClientCall<EnvelopeProto.EnvelopeBatch, TransportProto.LinkEvent> call;

    private RawLink(ClientCall<EnvelopeProto.EnvelopeBatch, TransportProto.LinkEvent> call) {
      this.call = call;
    }

    static RawLink open(VersionHandshakeTest test, GrpcTransport to, Metadata requestHeaders) {
      ManagedChannel ch =
          NettyChannelBuilder.forAddress("127.0.0.1", HostPort.parse(to.address()).port()).usePlaintext().build();
      test.toClose.add(
          () -> {
            ch.shutdownNow();
            ch.awaitTermination(5, TimeUnit.SECONDS);
          });
      RawLink link = new RawLink(ch.newCall(NodeLinkGrpc.getLinkMethod(), CallOptions.DEFAULT));
      link.call.start(
          new ClientCall.Listener<>() {
            @Override
            public void onHeaders(Metadata h) {
              link.headers.complete(h);
            }

            @Override
            public void onMessage(TransportProto.LinkEvent message) {
              link.accepted.complete(message.getAccepted());
            }

            @Override
            public void onClose(Status status, Metadata t) {
              link.trailers.complete(t);
              link.closed.complete(status);
            }
          },
          requestHeaders);
      link.call.request(10);
      return link;
    }

    void send(EnvelopeProto.EnvelopeBatch batch) {
      call.sendMessage(batch);
    }
  }
}
