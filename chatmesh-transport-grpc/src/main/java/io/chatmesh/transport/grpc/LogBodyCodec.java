package io.chatmesh.transport.grpc;

import static io.chatmesh.transport.grpc.ImplicitPresence.int64Size;
import static io.chatmesh.transport.grpc.ImplicitPresence.stringSize;
import static io.chatmesh.transport.grpc.ImplicitPresence.writeInt64;
import static io.chatmesh.transport.grpc.ImplicitPresence.writeString;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.chatmesh.proto.v1.LogProto;
import io.chatmesh.wire.ResendRequest;
import io.chatmesh.wire.RoomTail;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.WireMessage;
import java.io.IOException;

/**
 * Hand-written encode and decode of the room log family of {@code log.proto}: {@code Sequenced} (a
 * log entry the admin fans out), {@code RoomTail} (the admin's periodic last-seq hint) and {@code
 * ResendRequest} (a member asking for missing entries). Only the body bytes inside an Envelope;
 * {@link BatchCodec} writes and reads the envelope and batch framing around them. Bytes are exactly
 * the generated classes' (fields in number order, proto3 defaults omitted, {@code optional} presence
 * kept); decoding accepts any field order and skips unknown fields.
 *
 * <p>Stateless; thread-safe. Decoding reads ids and room names through the calling {@link
 * BatchCodec.Decoder}'s caches, so it runs on that decoder's thread.
 */
final class LogBodyCodec {
  private LogBodyCodec() {}

  private static final int LD = WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final int VARINT = WireFormat.WIRETYPE_VARINT;

  // field numbers come from the generated classes, so they cannot drift from the .proto files
  private static final int SQ_ROOM = LogProto.Sequenced.ROOM_FIELD_NUMBER;
  private static final int SQ_EPOCH = LogProto.Sequenced.EPOCH_FIELD_NUMBER;
  private static final int SQ_SEQ = LogProto.Sequenced.SEQ_FIELD_NUMBER;
  private static final int SQ_KIND = LogProto.Sequenced.KIND_FIELD_NUMBER;
  private static final int SQ_USER = LogProto.Sequenced.USER_FIELD_NUMBER;
  private static final int SQ_TEXT = LogProto.Sequenced.TEXT_FIELD_NUMBER;
  private static final int SQ_CMID = LogProto.Sequenced.CLIENT_MESSAGE_ID_FIELD_NUMBER;
  private static final int SQ_TIMESTAMP = LogProto.Sequenced.TIMESTAMP_FIELD_NUMBER;

  private static final int RR_ROOM = LogProto.ResendRequest.ROOM_FIELD_NUMBER;
  private static final int RR_FROM_SEQ = LogProto.ResendRequest.FROM_SEQ_FIELD_NUMBER;
  private static final int RR_TO_SEQ = LogProto.ResendRequest.TO_SEQ_FIELD_NUMBER;

  private static final int RT_ROOM = LogProto.RoomTail.ROOM_FIELD_NUMBER;
  private static final int RT_EPOCH = LogProto.RoomTail.EPOCH_FIELD_NUMBER;
  private static final int RT_LAST_SEQ = LogProto.RoomTail.LAST_SEQ_FIELD_NUMBER;

  // tags (field number << 3 | wire type), constant so they can be switch labels
  private static final int T_SQ_ROOM = SQ_ROOM << 3 | LD;
  private static final int T_SQ_EPOCH = SQ_EPOCH << 3 | VARINT;
  private static final int T_SQ_SEQ = SQ_SEQ << 3 | VARINT;
  private static final int T_SQ_KIND = SQ_KIND << 3 | VARINT;
  private static final int T_SQ_USER = SQ_USER << 3 | LD;
  private static final int T_SQ_TEXT = SQ_TEXT << 3 | LD;
  private static final int T_SQ_CMID = SQ_CMID << 3 | LD;
  private static final int T_SQ_TIMESTAMP = SQ_TIMESTAMP << 3 | VARINT;
  private static final int T_RR_ROOM = RR_ROOM << 3 | LD;
  private static final int T_RR_FROM_SEQ = RR_FROM_SEQ << 3 | VARINT;
  private static final int T_RR_TO_SEQ = RR_TO_SEQ << 3 | VARINT;
  private static final int T_RT_ROOM = RT_ROOM << 3 | LD;
  private static final int T_RT_EPOCH = RT_EPOCH << 3 | VARINT;
  private static final int T_RT_LAST_SEQ = RT_LAST_SEQ << 3 | VARINT;

  // ================================================================ encode

  static int sequencedSize(Sequenced x) {
    String cmid = x.clientMessageId();
    return stringSize(SQ_ROOM, x.room())
        + int64Size(SQ_EPOCH, x.epoch())
        + int64Size(SQ_SEQ, x.seq())
        + CodedOutputStream.computeEnumSize(SQ_KIND, WireCodec.eventKind(x.kind()).getNumber())
        + stringSize(SQ_USER, x.user().value())
        + stringSize(SQ_TEXT, x.text())
        + (cmid == null ? 0 : CodedOutputStream.computeStringSize(SQ_CMID, cmid))
        + int64Size(SQ_TIMESTAMP, x.timestamp());
  }

  static void writeSequenced(CodedOutputStream o, Sequenced x) throws IOException {
    writeString(o, SQ_ROOM, x.room());
    writeInt64(o, SQ_EPOCH, x.epoch());
    writeInt64(o, SQ_SEQ, x.seq());
    o.writeEnum(SQ_KIND, WireCodec.eventKind(x.kind()).getNumber()); // never 0 (UNSPECIFIED)
    writeString(o, SQ_USER, x.user().value());
    writeString(o, SQ_TEXT, x.text());
    String cmid = x.clientMessageId();
    if (cmid != null) {
      o.writeString(SQ_CMID, cmid); // optional: present even when empty
    }
    writeInt64(o, SQ_TIMESTAMP, x.timestamp());
  }

  static int roomTailSize(RoomTail x) {
    return stringSize(RT_ROOM, x.room()) + int64Size(RT_EPOCH, x.epoch()) + int64Size(RT_LAST_SEQ, x.lastSeq());
  }

  static void writeRoomTail(CodedOutputStream o, RoomTail x) throws IOException {
    writeString(o, RT_ROOM, x.room());
    writeInt64(o, RT_EPOCH, x.epoch());
    writeInt64(o, RT_LAST_SEQ, x.lastSeq());
  }

  static int resendRequestSize(ResendRequest x) {
    return stringSize(RR_ROOM, x.room()) + int64Size(RR_FROM_SEQ, x.fromSeq()) + int64Size(RR_TO_SEQ, x.toSeq());
  }

  static void writeResendRequest(CodedOutputStream o, ResendRequest x) throws IOException {
    writeString(o, RR_ROOM, x.room());
    writeInt64(o, RR_FROM_SEQ, x.fromSeq());
    writeInt64(o, RR_TO_SEQ, x.toSeq());
  }

  // ================================================================ decode

  /**
   * Reads a Sequenced body up to the stream's current limit.
   *
   * @throws io.chatmesh.ChatException BAD_REQUEST for invalid content (thrown only once the whole
   *     body was read, so the decoder can report it after the sender id)
   */
  static WireMessage readSequenced(CodedInputStream in, BatchCodec.Decoder d) throws IOException {
    String room = "";
    long epoch = 0;
    long seq = 0;
    int kind = 0;
    Object user = "";
    String text = "";
    String cmid = null;
    long timestamp = 0;
    loop:
    while (true) {
      int tag = in.readTag();
      switch (tag) {
        case 0:
          break loop;
        case T_SQ_ROOM:
          room = d.readRoom(in);
          break;
        case T_SQ_EPOCH:
          epoch = in.readInt64();
          break;
        case T_SQ_SEQ:
          seq = in.readInt64();
          break;
        case T_SQ_KIND:
          kind = in.readEnum();
          break;
        case T_SQ_USER:
          user = d.readUser(in);
          break;
        case T_SQ_TEXT:
          text = in.readStringRequireUtf8();
          break;
        case T_SQ_CMID:
          cmid = in.readStringRequireUtf8();
          break;
        case T_SQ_TIMESTAMP:
          timestamp = in.readInt64();
          break;
        default:
          if (!in.skipField(tag)) {
            break loop;
          }
      }
    }
    in.checkLastTagWas(0);
    LogProto.EventKind k = LogProto.EventKind.forNumber(kind);
    return new Sequenced(
        room,
        epoch,
        seq,
        WireCodec.eventKind(k == null ? LogProto.EventKind.UNRECOGNIZED : k),
        BatchCodec.Decoder.toUser(user, "sequenced.user"),
        text,
        cmid,
        timestamp);
  }

  /** Reads a RoomTail body up to the stream's current limit. */
  static WireMessage readRoomTail(CodedInputStream in, BatchCodec.Decoder d) throws IOException {
    String room = "";
    long epoch = 0;
    long lastSeq = 0;
    loop:
    while (true) {
      int tag = in.readTag();
      switch (tag) {
        case 0:
          break loop;
        case T_RT_ROOM:
          room = d.readRoom(in);
          break;
        case T_RT_EPOCH:
          epoch = in.readInt64();
          break;
        case T_RT_LAST_SEQ:
          lastSeq = in.readInt64();
          break;
        default:
          if (!in.skipField(tag)) {
            break loop;
          }
      }
    }
    in.checkLastTagWas(0);
    return new RoomTail(room, epoch, lastSeq);
  }

  /** Reads a ResendRequest body up to the stream's current limit. */
  static WireMessage readResendRequest(CodedInputStream in, BatchCodec.Decoder d) throws IOException {
    String room = "";
    long fromSeq = 0;
    long toSeq = 0;
    loop:
    while (true) {
      int tag = in.readTag();
      switch (tag) {
        case 0:
          break loop;
        case T_RR_ROOM:
          room = d.readRoom(in);
          break;
        case T_RR_FROM_SEQ:
          fromSeq = in.readInt64();
          break;
        case T_RR_TO_SEQ:
          toSeq = in.readInt64();
          break;
        default:
          if (!in.skipField(tag)) {
            break loop;
          }
      }
    }
    in.checkLastTagWas(0);
    return new ResendRequest(room, fromSeq, toSeq);
  }
}
