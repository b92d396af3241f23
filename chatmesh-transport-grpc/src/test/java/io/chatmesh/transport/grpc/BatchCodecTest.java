package io.chatmesh.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.UserId;
import io.chatmesh.proto.v1.EnvelopeProto;
import io.chatmesh.proto.v1.LogProto;
import io.chatmesh.proto.v1.MembershipProto;
import io.chatmesh.proto.v1.RoomProto;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.testkit.WireSamples;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.Heartbeat;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.ResendRequest;
import io.chatmesh.wire.RoomTail;
import io.chatmesh.wire.SendRequest;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.WireMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * BatchCodec against the generated classes: encoding must give the bytes the generated
 * EnvelopeBatch gives (and so parse back to what WireCodec produces); decoding bytes written by
 * the generated classes (with unknown fields, other field orders) must give what WireCodec gives.
 */
class BatchCodecTest {
  private static final long SEED = Long.getLong("batchcodec.seed", System.nanoTime());
  private static final int RANDOM_PER_TYPE = 400;

  @BeforeAll
  static void printSeed() {
    System.out.println("BatchCodecTest seed: " + SEED + " (rerun with -Dbatchcodec.seed=" + SEED + ")");
  }

  // ------------------------------------------------------------------------ samples

  private static final String[] TEXTS = {
    "",
    "a",
    "hello world",
    "héllo wörld",
    "中文消息",
    "emoji \uD83D\uDE00 and \uD83C\uDF89",
    "x".repeat(127),
    "y".repeat(128),
    "z".repeat(20_000),
    "mixed ä".repeat(40),
    "\u0000nul\u0000",
  };

  private static final long[] LONGS = {
    0, 1, -1, 127, 128, 300, Long.MAX_VALUE, Long.MIN_VALUE, Integer.MAX_VALUE, Integer.MIN_VALUE, 1_700_000_000_000L
  };

  private static String text(Random r) {
    if (r.nextInt(3) == 0) {
      return TEXTS[r.nextInt(TEXTS.length)];
    }
    int n = r.nextInt(r.nextBoolean() ? 20 : 300);
    StringBuilder b = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      int kind = r.nextInt(10);
      if (kind < 6) {
        b.append((char) (' ' + r.nextInt(95)));
      } else if (kind < 8) {
        b.append((char) (0xA0 + r.nextInt(0x700))); // 2-byte UTF-8
      } else if (kind < 9) {
        b.append((char) (0x4E00 + r.nextInt(0x5000))); // 3-byte UTF-8
      } else {
        b.appendCodePoint(0x1F300 + r.nextInt(0x300)); // 4-byte UTF-8, surrogate pair
      }
    }
    return b.toString();
  }

  private static final String ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";

  private static String id(Random r) {
    int n = r.nextInt(4) == 0 ? 64 : 1 + r.nextInt(12);
    StringBuilder b = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      b.append(ID_CHARS.charAt(r.nextInt(ID_CHARS.length())));
    }
    if (b.chars().allMatch(c -> c == '.')) {
      b.setCharAt(0, 'x'); // identifiers made only of dots are refused (issue 11)
    }
    return b.toString();
  }

  private static long number(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> LONGS[r.nextInt(LONGS.length)];
      case 1 -> r.nextInt(1000);
      case 2 -> r.nextLong();
      default -> -r.nextInt(1000);
    };
  }

  private static WireMessage randomHot(Random r, int type) {
    return switch (type) {
      case 0 -> new Sequenced(
          text(r),
          number(r),
          number(r),
          EventKind.values()[r.nextInt(EventKind.values().length)],
          UserId.of(id(r)),
          text(r),
          r.nextInt(3) == 0 ? null : r.nextBoolean() ? "" : text(r),
          number(r));
      case 1 -> new SendRequest(number(r), text(r), UserId.of(id(r)), r.nextBoolean() ? "" : text(r), text(r));
      case 2 -> {
        List<UserId> members = new ArrayList<>();
        for (int i = r.nextInt(4) == 0 ? r.nextInt(40) : 0; i > 0; i--) {
          members.add(UserId.of(id(r)));
        }
        ErrorCode error = r.nextBoolean() ? null : ErrorCode.values()[r.nextInt(ErrorCode.values().length)];
        yield new Reply(number(r), error, r.nextBoolean() ? "" : text(r), number(r), number(r), r.nextBoolean(), members);
      }
      case 3 -> new Heartbeat(r.nextBoolean());
      case 4 -> new RoomTail(text(r), number(r), number(r));
      default -> new ResendRequest(text(r), number(r), number(r));
    };
  }

  private static Envelope randomEnvelope(Random r, int type) {
    return new Envelope(NodeId.of(id(r)), number(r), randomHot(r, type));
  }

  /** Edge cases for every hot type: all defaults, empty strings, nulls, extremes. */
  static Stream<WireMessage> edgeCases() {
    UserId u = UserId.of("u");
    UserId max = UserId.of("U".repeat(64));
    List<WireMessage> all = new ArrayList<>();
    for (EventKind k : EventKind.values()) {
      all.add(new Sequenced("", 0, 0, k, u, "", null, 0));
      all.add(new Sequenced("", 0, 0, k, u, "", "", 0));
    }
    all.add(new Sequenced("räum", Long.MAX_VALUE, Long.MIN_VALUE, EventKind.MESSAGE, max, "中文 \uD83D\uDE00", "cmid", -1));
    all.add(new Sequenced("r".repeat(300), -1, -1, EventKind.MESSAGE, u, "t".repeat(70_000), "c".repeat(200), Long.MAX_VALUE));
    all.add(new SendRequest(0, "", u, "", ""));
    all.add(new SendRequest(Long.MIN_VALUE, "ü", max, "\uD83D\uDE00", "x".repeat(200)));
    all.add(new Reply(0, null, "", 0, 0, false, List.of()));
    for (ErrorCode c : ErrorCode.values()) {
      all.add(new Reply(Long.MAX_VALUE, c, "why: ä", 0, 0, false, List.of()));
    }
    all.add(new Reply(-1, null, "", Long.MAX_VALUE, Long.MIN_VALUE, true, List.of(u, max, u)));
    all.add(new Heartbeat());
    all.add(new Heartbeat(true));
    all.add(new RoomTail("", 0, 0));
    all.add(new RoomTail("é", Long.MAX_VALUE, -1));
    all.add(new ResendRequest("", 0, 0));
    all.add(new ResendRequest("room", Long.MIN_VALUE, Long.MAX_VALUE));
    return all.stream();
  }

  static Stream<WireMessage> everyKnownSample() {
    List<WireMessage> all = new ArrayList<>(WireSamples.all());
    all.addAll(WireSamples.errorReplies());
    return Stream.concat(all.stream(), edgeCases());
  }

  // ------------------------------------------------------------------------ generated reference

  private static byte[] generatedBatch(List<Envelope> envelopes) {
    EnvelopeProto.EnvelopeBatch.Builder b = EnvelopeProto.EnvelopeBatch.newBuilder();
    for (Envelope e : envelopes) {
      b.addEnvelopes(WireCodec.encode(e));
    }
    return b.build().toByteArray();
  }

  /**
   * The reference: the generated parser, then WireCodec; an envelope without a known body but with
   * an unknown field numbered from the first body number up (a newer schema's body type, not a
   * known body number with another wire type) is skipped once its sender id is checked.
   */
  private static List<Envelope> generatedDecode(byte[] bytes) throws InvalidProtocolBufferException {
    List<Envelope> out = new ArrayList<>();
    for (EnvelopeProto.Envelope p : EnvelopeProto.EnvelopeBatch.parseFrom(bytes).getEnvelopesList()) {
      boolean unknownBody =
          p.getBodyCase() == EnvelopeProto.Envelope.BodyCase.BODY_NOT_SET
              && p.getUnknownFields().asMap().keySet().stream()
                  .anyMatch(n -> n >= BatchCodec.FIRST_BODY_FIELD && EnvelopeProto.Envelope.getDescriptor().findFieldByNumber(n) == null);
      if (unknownBody) {
        WireCodec.node(p.getFrom(), "envelope.from");
        continue;
      }
      out.add(WireCodec.decode(p));
    }
    return out;
  }

  private static byte[] concat(List<byte[]> parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static List<Envelope> decode(byte[] bytes) {
    return new BatchCodec.Decoder().decode(bytes, 0, bytes.length);
  }

  // ------------------------------------------------------------------------ (a) encode

  @ParameterizedTest
  @MethodSource("everyKnownSample")
  void encodesTheBytesTheGeneratedClassesWrite(WireMessage m) throws Exception {
    Envelope e = new Envelope(NodeId.of("n1"), 123_456_789_012L, m);
    byte[] record = BatchCodec.encodeRecord(e);
    assertThat(record).isEqualTo(generatedBatch(List.of(e)));
    EnvelopeProto.EnvelopeBatch parsed = EnvelopeProto.EnvelopeBatch.parseFrom(record);
    assertThat(parsed.getEnvelopesList()).containsExactly(WireCodec.encode(e));
    assertThat(WireCodec.decode(parsed.getEnvelopes(0))).isEqualTo(e);
  }

  @Test
  void randomRecordsEncodeLikeTheGeneratedClassesAndConcatenateIntoABatch() throws Exception {
    Random r = new Random(SEED);
    for (int type = 0; type < 6; type++) {
      List<Envelope> batch = new ArrayList<>();
      List<byte[]> records = new ArrayList<>();
      for (int i = 0; i < RANDOM_PER_TYPE; i++) {
        Envelope e = randomEnvelope(r, type);
        byte[] record = BatchCodec.encodeRecord(e);
        assertThat(record).as("seed %d, %s", SEED, e).isEqualTo(generatedBatch(List.of(e)));
        batch.add(e);
        records.add(record);
      }
      byte[] all = concat(records);
      assertThat(all).isEqualTo(generatedBatch(batch));
      assertThat(generatedDecode(all)).as("seed %d", SEED).isEqualTo(batch);
    }
  }

  @Test
  void defaultsAreOmittedAndOptionalPresenceIsKept() throws Exception {
    Envelope plain = new Envelope(NodeId.of("n"), 0, new Sequenced("", 0, 0, EventKind.JOINED, UserId.of("u"), "", null, 0));
    EnvelopeProto.Envelope p = EnvelopeProto.EnvelopeBatch.parseFrom(BatchCodec.encodeRecord(plain)).getEnvelopes(0);
    assertThat(p.getSequenced().hasClientMessageId()).isFalse();
    // from "n" (3 bytes) + body tag, length, kind (2 bytes) + user "u" (3 bytes); nothing else
    assertThat(p.getSerializedSize()).isEqualTo(3 + 2 + 1 + 2 + 3);

    Envelope empty = new Envelope(NodeId.of("n"), 0, new Sequenced("", 0, 0, EventKind.JOINED, UserId.of("u"), "", "", 0));
    p = EnvelopeProto.EnvelopeBatch.parseFrom(BatchCodec.encodeRecord(empty)).getEnvelopes(0);
    assertThat(p.getSequenced().hasClientMessageId()).isTrue();
    assertThat(decode(BatchCodec.encodeRecord(empty)).get(0)).isEqualTo(empty);
    assertThat(decode(BatchCodec.encodeRecord(plain)).get(0)).isEqualTo(plain);

    Envelope ok = new Envelope(NodeId.of("n"), 1, new Reply(7, null, "", 0, 0, false, List.of()));
    p = EnvelopeProto.EnvelopeBatch.parseFrom(BatchCodec.encodeRecord(ok)).getEnvelopes(0);
    assertThat(p.getReply().hasError()).isFalse();
    Envelope failed = new Envelope(NodeId.of("n"), 1, Reply.error(7, ErrorCode.BAD_REQUEST, ""));
    p = EnvelopeProto.EnvelopeBatch.parseFrom(BatchCodec.encodeRecord(failed)).getEnvelopes(0);
    assertThat(p.getReply().hasError()).isTrue();
    assertThat(decode(BatchCodec.encodeRecord(failed)).get(0)).isEqualTo(failed);
  }

  // ------------------------------------------------------------------------ (b) decode

  @ParameterizedTest
  @MethodSource("everyKnownSample")
  void decodesWhatTheGeneratedClassesWrite(WireMessage m) throws Exception {
    Envelope e = new Envelope(NodeId.of("n1"), -5, m);
    byte[] bytes = generatedBatch(List.of(e, e));
    assertThat(decode(bytes)).containsExactly(e, e).isEqualTo(generatedDecode(bytes));
  }

  @Test
  void randomBatchesDecodeLikeTheGeneratedClassesWithOneDecoderPerStream() throws Exception {
    Random r = new Random(SEED + 1);
    BatchCodec.Decoder decoder = new BatchCodec.Decoder(); // one stream: caches carry over batches
    for (int round = 0; round < 20; round++) {
      List<Envelope> batch = new ArrayList<>();
      for (int i = 0; i < 150; i++) {
        batch.add(randomEnvelope(r, r.nextInt(6)));
        if (r.nextInt(10) == 0) {
          batch.add(new Envelope(NodeId.of(id(r)), number(r), WireSamples.all().get(r.nextInt(WireSamples.all().size()))));
        }
      }
      byte[] bytes = generatedBatch(batch);
      assertThat(decoder.decode(bytes, 0, bytes.length)).as("seed %d", SEED).isEqualTo(batch);
    }
  }

  @Test
  void repeatedIdsAndRoomsComeFromTheCacheAndStayCorrect() {
    BatchCodec.Decoder decoder = new BatchCodec.Decoder();
    List<Envelope> batch = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      batch.add(new Envelope(NodeId.of("n1"), 1, new Sequenced("room-" + (i % 3), 1, i, EventKind.MESSAGE, UserId.of("u" + (i % 5)), "t" + i, "c" + i, i)));
    }
    byte[] bytes = concat(batch.stream().map(BatchCodec::encodeRecord).toList());
    List<Envelope> first = decoder.decode(bytes, 0, bytes.length);
    List<Envelope> second = decoder.decode(bytes, 0, bytes.length);
    assertThat(first).isEqualTo(batch);
    assertThat(second).isEqualTo(batch);
    assertThat(decoder.cacheHits()).as("node, user and room reads answered from the cache").isGreaterThan(500);
    // interned: the same instance for the same value
    assertThat(((Sequenced) second.get(0).message()).user()).isSameAs(((Sequenced) first.get(5).message()).user());
    assertThat(second.get(0).from()).isSameAs(first.get(99).from());
  }

  @Test
  void manyDistinctIdsEvictEachOtherWithoutMixingThemUp() {
    // far more distinct users and rooms than cache slots: collisions replace entries, never confuse them
    Random r = new Random(SEED + 2);
    BatchCodec.Decoder decoder = new BatchCodec.Decoder();
    List<Envelope> batch = new ArrayList<>();
    for (int i = 0; i < 6000; i++) {
      batch.add(new Envelope(NodeId.of("n" + (i % 40)), 1, new SendRequest(i, "room" + r.nextInt(3000), UserId.of("user" + r.nextInt(5000)), "c", "t")));
    }
    byte[] bytes = generatedBatch(batch);
    for (int round = 0; round < 3; round++) {
      assertThat(decoder.decode(bytes, 0, bytes.length)).isEqualTo(batch);
    }
  }

  @Test
  void skipsUnknownFieldsFromANewerSenderAtEveryLevel() throws Exception {
    Random r = new Random(SEED + 3);
    UnknownFieldSet unknown =
        UnknownFieldSet.newBuilder()
            .addField(99, UnknownFieldSet.Field.newBuilder().addVarint(42).addVarint(-1).build())
            .addField(100, UnknownFieldSet.Field.newBuilder().addFixed32(7).addFixed64(-7L).build())
            .addField(101, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8("new stuff ä")).build())
            .addField(
                102,
                UnknownFieldSet.Field.newBuilder()
                    .addGroup(UnknownFieldSet.newBuilder().addField(1, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build())
                    .build())
            .build();
    // on the envelope also a free envelope-level number (3..9) and a body number with another wire type
    UnknownFieldSet envelopeUnknown =
        UnknownFieldSet.newBuilder()
            .mergeFrom(unknown)
            .addField(5, UnknownFieldSet.Field.newBuilder().addVarint(5).build())
            .addField(EnvelopeProto.Envelope.SEND_REQUEST_FIELD_NUMBER, UnknownFieldSet.Field.newBuilder().addVarint(20).build())
            .build();
    for (int type = 0; type < 6; type++) {
      List<Envelope> batch = new ArrayList<>();
      EnvelopeProto.EnvelopeBatch.Builder b = EnvelopeProto.EnvelopeBatch.newBuilder().setUnknownFields(unknown);
      for (int i = 0; i < 50; i++) {
        Envelope e = randomEnvelope(r, type);
        batch.add(e);
        EnvelopeProto.Envelope.Builder p = WireCodec.encode(e).toBuilder().mergeUnknownFields(envelopeUnknown);
        withUnknownBodyFields(p, unknown);
        b.addEnvelopes(p);
      }
      byte[] bytes = b.build().toByteArray();
      assertThat(decode(bytes)).as("seed %d", SEED).isEqualTo(batch).isEqualTo(generatedDecode(bytes));
    }
  }

  private static void withUnknownBodyFields(EnvelopeProto.Envelope.Builder p, UnknownFieldSet unknown) {
    // a body field number used with the wrong wire type is an unknown field as well
    UnknownFieldSet wrongType =
        UnknownFieldSet.newBuilder()
            .mergeFrom(unknown)
            .addField(1, UnknownFieldSet.Field.newBuilder().addFixed64(1).build())
            .build();
    switch (p.getBodyCase()) {
      case SEQUENCED -> p.setSequenced(p.getSequenced().toBuilder().setUnknownFields(wrongType));
      case SEND_REQUEST -> p.setSendRequest(p.getSendRequest().toBuilder().setUnknownFields(wrongType));
      case REPLY -> p.setReply(p.getReply().toBuilder().setUnknownFields(wrongType));
      case HEARTBEAT -> p.setHeartbeat(p.getHeartbeat().toBuilder().setUnknownFields(wrongType));
      case ROOM_TAIL -> p.setRoomTail(p.getRoomTail().toBuilder().setUnknownFields(wrongType));
      case RESEND_REQUEST -> p.setResendRequest(p.getResendRequest().toBuilder().setUnknownFields(wrongType));
      default -> throw new AssertionError(p.getBodyCase());
    }
  }

  @Test
  void acceptsFieldsInAnyOrder() throws Exception {
    // protobuf allows any field order on the wire; write every message's fields in reverse
    Random r = new Random(SEED + 4);
    for (int type = 0; type < 6; type++) {
      List<Envelope> batch = new ArrayList<>();
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      for (int i = 0; i < 50; i++) {
        Envelope e = randomEnvelope(r, type);
        batch.add(e);
        EnvelopeProto.Envelope p = WireCodec.encode(e);
        Message body = (Message) p.getField(p.getDescriptorForType().findFieldByNumber(p.getBodyCase().getNumber()));
        byte[] bodyBytes = reversed(body);
        ByteArrayOutputStream env = new ByteArrayOutputStream();
        CodedOutputStream o = CodedOutputStream.newInstance(env);
        o.writeByteArray(p.getBodyCase().getNumber(), bodyBytes);
        o.writeInt64(EnvelopeProto.Envelope.INCARNATION_FIELD_NUMBER, p.getIncarnation());
        o.writeString(EnvelopeProto.Envelope.FROM_FIELD_NUMBER, p.getFrom());
        o.flush();
        CodedOutputStream batchOut = CodedOutputStream.newInstance(bytes);
        batchOut.writeByteArray(EnvelopeProto.EnvelopeBatch.ENVELOPES_FIELD_NUMBER, env.toByteArray());
        batchOut.flush();
      }
      byte[] all = bytes.toByteArray();
      assertThat(decode(all)).as("seed %d", SEED).isEqualTo(batch).isEqualTo(generatedDecode(all));
    }
  }

  /** The message's fields serialised one at a time, last field number first. */
  private static byte[] reversed(Message m) {
    List<byte[]> parts = new ArrayList<>();
    m.getAllFields().forEach((field, value) -> parts.add(m.newBuilderForType().setField(field, value).build().toByteArray()));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = parts.size() - 1; i >= 0; i--) {
      out.writeBytes(parts.get(i));
    }
    return out.toByteArray();
  }

  @Test
  void aRepeatedOrSecondBodyFieldFollowsProtobufMergeRules() throws Exception {
    // a sender may split a message field in two occurrences (merged) or send two oneof members (last wins)
    LogProto.Sequenced part1 = LogProto.Sequenced.newBuilder().setRoom("r").setSeq(5).setUser("u1").build();
    LogProto.Sequenced part2 = LogProto.Sequenced.newBuilder().setKind(LogProto.EventKind.EVENT_KIND_MESSAGE).setText("t").build();
    ByteArrayOutputStream env = new ByteArrayOutputStream();
    CodedOutputStream o = CodedOutputStream.newInstance(env);
    o.writeString(1, "n1");
    o.writeMessage(EnvelopeProto.Envelope.SEQUENCED_FIELD_NUMBER, part1);
    o.writeMessage(EnvelopeProto.Envelope.SEQUENCED_FIELD_NUMBER, part2);
    o.flush();
    byte[] merged = EnvelopeProto.EnvelopeBatch.newBuilder().addEnvelopes(EnvelopeProto.Envelope.parseFrom(env.toByteArray())).build().toByteArray();
    byte[] raw = batchOf(env.toByteArray());
    assertThat(decode(raw)).isEqualTo(generatedDecode(merged)).isEqualTo(generatedDecode(raw));
    assertThat(((Sequenced) decode(raw).get(0).message()).text()).isEqualTo("t");

    ByteArrayOutputStream env2 = new ByteArrayOutputStream();
    o = CodedOutputStream.newInstance(env2);
    o.writeString(1, "n1");
    o.writeMessage(EnvelopeProto.Envelope.SEQUENCED_FIELD_NUMBER, part1);
    // a heartbeat of an older sender still carries its removed field 1 (sent_at_millis): skipped
    o.writeByteArray(EnvelopeProto.Envelope.HEARTBEAT_FIELD_NUMBER, new byte[] {0x08, 0x09});
    o.flush();
    assertThat(decode(batchOf(env2.toByteArray()))).containsExactly(new Envelope(NodeId.of("n1"), 0, new Heartbeat()));
  }

  private static byte[] batchOf(byte[]... envelopes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    for (byte[] e : envelopes) {
      o.writeByteArray(EnvelopeProto.EnvelopeBatch.ENVELOPES_FIELD_NUMBER, e);
    }
    o.flush();
    return out.toByteArray();
  }

  // ------------------------------------------------------------------------ malformed input

  @Test
  void validationFailuresNameTheFieldLikeWireCodec() {
    assertBad(envelopeWith("n2", b -> b.setSequenced(LogProto.Sequenced.newBuilder().setRoom("r").setKind(LogProto.EventKind.EVENT_KIND_MESSAGE).setUser("bad user"))), "sequenced.user");
    assertBad(envelopeWith("n2", b -> b.setSequenced(LogProto.Sequenced.newBuilder().setRoom("r").setUser("u"))), "sequenced.kind");
    assertBad(envelopeWith("n2", b -> b.setSequenced(LogProto.Sequenced.newBuilder().setRoom("r").setUser("u").setKindValue(42))), "sequenced.kind");
    // kind is checked before user, as WireCodec does
    assertBad(envelopeWith("n2", b -> b.setSequenced(LogProto.Sequenced.newBuilder().setUser(""))), "sequenced.kind");
    assertBad(envelopeWith("n2", b -> b.setSendRequest(RoomProto.SendRequest.newBuilder().setRoom("r"))), "send_request.user");
    assertBad(envelopeWith("n2", b -> b.setReply(RoomProto.Reply.newBuilder().addMembers("ok").addMembers("not ok"))), "reply.members");
    // the sender id is checked first, wherever it is in the bytes
    assertBad(envelopeWith("bad id!", b -> b.setSendRequest(RoomProto.SendRequest.newBuilder().setRoom("r"))), "envelope.from");
    assertBad(envelopeWith("", b -> b.setHeartbeat(MembershipProto.Heartbeat.getDefaultInstance())), "envelope.from");
    assertBad(envelopeWith("n2", b -> {}), "no body");
    assertBad(envelopeWith("n2", b -> b.setPrepare(io.chatmesh.proto.v1.TwoPhaseCommitProto.Prepare.newBuilder().setTxId("t"))), "prepare.kind");
    // only envelope-level unknown fields (3..9) and no body: still no body
    assertBad(envelopeWith("n2", b -> b.setUnknownFields(unknownField(3, "x"))), "no body");
    // an unknown body type does not excuse an invalid sender
    assertBadBytes(envelopeWith("bad id!", b -> b.setUnknownFields(unknownField(40, "x"))), "envelope.from");
  }

  private static UnknownFieldSet unknownField(int number, String value) {
    return UnknownFieldSet.newBuilder()
        .addField(number, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8(value)).build())
        .build();
  }

  @Test
  void anEnvelopeOfAnUnknownBodyTypeIsSkippedAndReportedAndTheRestOfTheBatchDecoded() throws Exception {
    // a newer schema's body types: the next free number, a far one, one in a length-delimited body
    Envelope known1 = new Envelope(NodeId.of("n1"), 4, new SendRequest(1, "r", UserId.of("u"), "c", "before"));
    Envelope known2 = new Envelope(NodeId.of("n1"), 4, new Heartbeat());
    Envelope known3 = new Envelope(NodeId.of("n1"), 4, WireSamples.all().get(0)); // a Hello: generated path
    byte[] bytes =
        batchOf(
            WireCodec.encode(known1).toByteArray(),
            EnvelopeProto.Envelope.newBuilder().setFrom("n1").setIncarnation(4).setUnknownFields(unknownField(NextVersionWire.REACTION_FIELD, "reaction")).build().toByteArray(),
            WireCodec.encode(known2).toByteArray(),
            EnvelopeProto.Envelope.newBuilder()
                .setFrom("n1")
                .setUnknownFields(
                    UnknownFieldSet.newBuilder()
                        .mergeFrom(unknownField(3, "envelope-level field of the next version"))
                        .addField(500_000, UnknownFieldSet.Field.newBuilder().addVarint(1).build())
                        .build())
                .build()
                .toByteArray(),
            WireCodec.encode(known3).toByteArray());
    List<String> skipped = new ArrayList<>();
    List<Envelope> out = new BatchCodec.Decoder((field, from) -> skipped.add(from + ":" + field)).decode(bytes, 0, bytes.length);
    assertThat(out).containsExactly(known1, known2, known3);
    assertThat(skipped).containsExactly("n1:" + NextVersionWire.REACTION_FIELD, "n1:500000");
    assertThat(BatchCodec.FIRST_BODY_FIELD).isEqualTo(EnvelopeProto.Envelope.HELLO_FIELD_NUMBER);
  }

  @Test
  void anUnknownErrorCodeFromANewerPeerBecomesInternal() {
    byte[] bytes = envelopeWith("n2", b -> b.setReply(RoomProto.Reply.newBuilder().setRequestId(1).setErrorValue(999)));
    assertThat(((Reply) decode(bytes).get(0).message()).error()).isEqualTo(ErrorCode.INTERNAL);
    bytes = envelopeWith("n2", b -> b.setReply(RoomProto.Reply.newBuilder().setRequestId(1).setError(RoomProto.ErrorCode.ERROR_CODE_UNSPECIFIED)));
    assertThat(((Reply) decode(bytes).get(0).message()).error()).isEqualTo(ErrorCode.INTERNAL);
  }

  @Test
  void invalidProtobufIsABadRequest() throws Exception {
    byte[] good = BatchCodec.encodeRecord(new Envelope(NodeId.of("n"), 1, new SendRequest(1, "r", UserId.of("u"), "c", "text")));
    // truncated
    assertBadBytes(Arrays.copyOf(good, good.length - 2), "EnvelopeBatch");
    // invalid UTF-8 in a string field (proto3 strings must be UTF-8; the generated parser refuses too)
    byte[] badUtf8 = good.clone();
    int at = indexOf(badUtf8, "text".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    badUtf8[at] = (byte) 0xC0;
    assertThatThrownBy(() -> EnvelopeProto.EnvelopeBatch.parseFrom(badUtf8)).isInstanceOf(InvalidProtocolBufferException.class);
    assertBadBytes(badUtf8, "UTF-8");
    // the same in a cached field (the user id)
    byte[] badUser = good.clone();
    badUser[indexOf(badUser, new byte[] {(byte) (3 << 3 | 2), 1, 'u'}) + 2] = (byte) 0xFF;
    assertBadBytes(badUser, "UTF-8");
    // an end-group tag that matches nothing
    assertBadBytes(new byte[] {(byte) (1 << 3 | 4)}, "EnvelopeBatch");
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }

  @Test
  void corruptedBatchesBehaveLikeTheGeneratedParserFollowedByWireCodec() {
    // differential fuzzing: flip, insert, drop bytes of valid batches; where the generated path
    // accepts, the result must be equal; where it refuses, BatchCodec must refuse with BAD_REQUEST
    Random r = new Random(SEED + 5);
    int accepted = 0;
    for (int round = 0; round < 3000; round++) {
      List<Envelope> batch = new ArrayList<>();
      for (int i = 1 + r.nextInt(4); i > 0; i--) {
        batch.add(randomEnvelope(r, r.nextInt(6)));
      }
      byte[] bytes = generatedBatch(batch);
      for (int k = 1 + r.nextInt(3); k > 0; k--) {
        int pos = r.nextInt(bytes.length);
        switch (r.nextInt(3)) {
          case 0 -> bytes[pos] = (byte) r.nextInt(256);
          case 1 -> bytes = Arrays.copyOf(bytes, pos);
          default -> {
            byte[] b = new byte[bytes.length + 1];
            System.arraycopy(bytes, 0, b, 0, pos);
            b[pos] = (byte) r.nextInt(256);
            System.arraycopy(bytes, pos, b, pos + 1, bytes.length - pos);
            bytes = b;
          }
        }
        if (bytes.length == 0) {
          break;
        }
      }
      List<Envelope> expected;
      try {
        expected = generatedDecode(bytes);
      } catch (InvalidProtocolBufferException | ChatException e) {
        byte[] b = bytes;
        assertThatThrownBy(() -> decode(b))
            .as("seed %d round %d: generated path refused with %s", SEED, round, e)
            .isInstanceOf(ChatException.class)
            .extracting(x -> ((ChatException) x).code())
            .isEqualTo(ErrorCode.BAD_REQUEST);
        continue;
      }
      accepted++;
      assertThat(decode(bytes)).as("seed %d round %d", SEED, round).isEqualTo(expected);
    }
    assertThat(accepted).as("some corrupted batches are still valid").isPositive();
  }

  private interface BodySetter {
    void set(EnvelopeProto.Envelope.Builder b);
  }

  private static byte[] envelopeWith(String from, BodySetter body) {
    EnvelopeProto.Envelope.Builder b = EnvelopeProto.Envelope.newBuilder().setFrom(from).setIncarnation(3);
    body.set(b);
    return EnvelopeProto.EnvelopeBatch.newBuilder().addEnvelopes(b).build().toByteArray();
  }

  private static void assertBad(byte[] bytes, String mentions) {
    // WireCodec on the generated parse says the same
    assertThatThrownBy(() -> generatedDecode(bytes)).isInstanceOf(ChatException.class).hasMessageContaining(mentions);
    assertBadBytes(bytes, mentions);
  }

  private static void assertBadBytes(byte[] bytes, String mentions) {
    assertThatThrownBy(() -> decode(bytes))
        .isInstanceOf(ChatException.class)
        .hasMessageContaining(mentions)
        .extracting(e -> ((ChatException) e).code())
        .isEqualTo(ErrorCode.BAD_REQUEST);
  }

  // ------------------------------------------------------------------------ marshaller

  @Test
  void theMarshallerStreamsTheConcatenatedRecordsAndParsesThemBack() throws Exception {
    Random r = new Random(SEED + 6);
    List<Envelope> batch = new ArrayList<>();
    byte[][] parts = new byte[40][];
    for (int i = 0; i < parts.length; i++) {
      Envelope e = randomEnvelope(r, r.nextInt(6));
      batch.add(e);
      parts[i] = BatchCodec.encodeRecord(e);
    }
    LinkMethod.Batch b = new LinkMethod.Batch(parts, parts.length);
    byte[] expected = generatedBatch(batch);
    assertThat(b.length()).isEqualTo(expected.length);
    assertThat(b.bytes()).isEqualTo(expected);

    // drained, as gRPC's framer does
    InputStream s = LinkMethod.LINK.getRequestMarshaller().stream(b);
    assertThat(s).isInstanceOf(io.grpc.Drainable.class).isInstanceOf(io.grpc.KnownLength.class);
    assertThat(s.available()).isEqualTo(expected.length);
    ByteArrayOutputStream drained = new ByteArrayOutputStream();
    assertThat(((io.grpc.Drainable) s).drainTo(drained)).isEqualTo(expected.length);
    assertThat(drained.toByteArray()).isEqualTo(expected);
    assertThat(s.available()).isZero();
    assertThat(s.read()).isEqualTo(-1);

    // read in odd chunk sizes, and byte by byte
    s = LinkMethod.LINK.getRequestMarshaller().stream(b);
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    byte[] buf = new byte[7];
    int n;
    while ((n = s.read(buf, 0, buf.length)) > 0) {
      read.write(buf, 0, n);
      int one = s.read();
      if (one >= 0) {
        read.write(one);
      }
    }
    assertThat(read.toByteArray()).isEqualTo(expected);

    // the server side: parse gives the message bytes, which decode to the batch
    LinkMethod.Batch parsed = LinkMethod.LINK.parseRequest(LinkMethod.LINK.streamRequest(b));
    assertThat(parsed.bytes()).isEqualTo(expected);
    assertThat(decode(parsed.bytes())).isEqualTo(batch);
    // and the generated parser reads the marshaller's stream
    assertThat(EnvelopeProto.EnvelopeBatch.parseFrom(LinkMethod.LINK.streamRequest(b)).getEnvelopesCount()).isEqualTo(40);
  }

  @Test
  void theLinkMethodIsTheSchemasLinkMethod() {
    assertThat(LinkMethod.LINK.getFullMethodName()).isEqualTo("chatmesh.v1.NodeLink/Link");
    assertThat(LinkMethod.LINK.getType()).isEqualTo(io.chatmesh.proto.v1.NodeLinkGrpc.getLinkMethod().getType());
  }
}
