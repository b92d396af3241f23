package io.chatmesh.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.proto.v1.EnvelopeProto;
import io.chatmesh.proto.v1.LogProto;
import io.chatmesh.proto.v1.RoomProto;
import io.chatmesh.proto.v1.TwoPhaseCommitProto;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.testkit.WireSamples;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.WireMessage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class WireCodecTest {

  static Stream<WireMessage> samples() {
    List<WireMessage> all = new ArrayList<>(WireSamples.all());
    all.addAll(WireSamples.errorReplies());
    return all.stream();
  }

  @ParameterizedTest
  @MethodSource("samples")
  void roundTripsThroughBytes(WireMessage m) throws Exception {
    Envelope e = new Envelope(NodeId.of("n1"), 123_456_789_012L, m);
    byte[] bytes = WireCodec.encode(e).toByteArray();
    Envelope back = WireCodec.decode(EnvelopeProto.Envelope.parseFrom(bytes));
    assertThat(back).isEqualTo(e);
  }

  @Test
  void samplesCoverEveryWireMessageType() {
    Set<Class<?>> covered = samples().map(Object::getClass).collect(Collectors.toSet());
    assertThat(covered).containsExactlyInAnyOrder(WireMessage.class.getPermittedSubclasses());
  }

  @Test
  void nullableFieldsStayNullAndEmptyStaysEmpty() throws Exception {
    for (WireMessage m : WireSamples.all()) {
      EnvelopeProto.Envelope p = WireCodec.encode(new Envelope(NodeId.of("n1"), 1, m));
      if (m instanceof Sequenced s) {
        assertThat(p.getSequenced().hasClientMessageId()).isEqualTo(s.clientMessageId() != null);
      }
      if (m instanceof Reply r) {
        assertThat(p.getReply().hasError()).isEqualTo(r.error() != null);
      }
    }
  }

  @Test
  void helloStillCarriesTheVersionBuildsBeforeNegotiationCheckAndRemovedFieldsAreNotSent() {
    NodeId n1 = NodeId.of("n1");
    EnvelopeProto.Envelope hello = WireCodec.encode(new Envelope(n1, 1, new io.chatmesh.wire.Hello("h:1", false, List.of())));
    // those builds refuse a Hello whose protocol_version is not theirs (1)
    assertThat(hello.getHello().getProtocolVersion()).isEqualTo(WireMessage.MIN_PROTOCOL_VERSION).isEqualTo(1);
    assertThat(WireCodec.encode(new Envelope(n1, 1, new io.chatmesh.wire.Heartbeat())).getHeartbeat().getSerializedSize())
        .isZero();
    EnvelopeProto.Envelope prepare =
        WireCodec.encode(new Envelope(n1, 1, new io.chatmesh.wire.Prepare("t", io.chatmesh.wire.TxKind.DELETE_ROOM, "r")));
    assertThat(prepare.getPrepare().getUnknownFields().asMap()).isEmpty();
    assertThat(prepare.getPrepare().getAllFields()).hasSize(3);
  }

  @Test
  void everyErrorCodeHasItsOwnWireValue() {
    Set<RoomProto.ErrorCode> values =
        Arrays.stream(ErrorCode.values()).map(WireCodec::errorCode).collect(Collectors.toSet());
    assertThat(values).hasSize(ErrorCode.values().length).doesNotContain(RoomProto.ErrorCode.ERROR_CODE_UNSPECIFIED);
  }

  @Test
  void unknownErrorCodeFromANewerPeerBecomesInternal() {
    EnvelopeProto.Envelope p =
        EnvelopeProto.Envelope.newBuilder()
            .setFrom("n2")
            .setReply(RoomProto.Reply.newBuilder().setRequestId(1).setErrorValue(999))
            .build();
    Reply r = (Reply) WireCodec.decode(p).message();
    assertThat(r.error()).isEqualTo(ErrorCode.INTERNAL);
  }

  @Test
  void rejectsAnEnvelopeWithoutBody() {
    assertBad(EnvelopeProto.Envelope.newBuilder().setFrom("n2").build(), "no body");
  }

  @Test
  void rejectsAnUnknownBodyFromANewerPeer() throws Exception {
    // field 99 is not in this version's oneof: parsed as an unknown field, so the body is unset
    byte[] bytes =
        EnvelopeProto.Envelope.newBuilder()
            .setFrom("n2")
            .setUnknownFields(
                com.google.protobuf.UnknownFieldSet.newBuilder()
                    .addField(
                        99,
                        com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                            .addLengthDelimited(com.google.protobuf.ByteString.copyFromUtf8("x"))
                            .build())
                    .build())
            .build()
            .toByteArray();
    assertBad(EnvelopeProto.Envelope.parseFrom(bytes), "no body");
  }

  @Test
  void rejectsInvalidIds() {
    assertBad(
        EnvelopeProto.Envelope.newBuilder()
            .setFrom("not a node id!")
            .setGoodbye(io.chatmesh.proto.v1.MembershipProto.Goodbye.getDefaultInstance())
            .build(),
        "envelope.from");
    assertBad(
        EnvelopeProto.Envelope.newBuilder()
            .setFrom("n2")
            .setJoinRequest(RoomProto.JoinRequest.newBuilder().setRoom("r").setUser(""))
            .build(),
        "join_request.user");
  }

  @Test
  void rejectsUnspecifiedEnums() {
    assertBad(
        EnvelopeProto.Envelope.newBuilder()
            .setFrom("n2")
            .setPrepare(TwoPhaseCommitProto.Prepare.newBuilder().setTxId("t").setRoom("r"))
            .build(),
        "prepare.kind");
    assertBad(
        EnvelopeProto.Envelope.newBuilder()
            .setFrom("n2")
            .setSequenced(LogProto.Sequenced.newBuilder().setRoom("r").setUser("u").setKindValue(42))
            .build(),
        "sequenced.kind");
  }

  private static void assertBad(EnvelopeProto.Envelope p, String mentions) {
    assertThatThrownBy(() -> WireCodec.decode(p))
        .isInstanceOf(ChatException.class)
        .hasMessageContaining(mentions)
        .extracting(e -> ((ChatException) e).code())
        .isEqualTo(ErrorCode.BAD_REQUEST);
  }
}
