package io.chatmesh.transport.grpc;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.UserId;
import io.chatmesh.proto.v1.EnvelopeProto;
import io.chatmesh.proto.v1.LogProto;
import io.chatmesh.proto.v1.MembershipProto;
import io.chatmesh.proto.v1.RoomProto;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.wire.Heartbeat;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.ResendRequest;
import io.chatmesh.wire.RoomTail;
import io.chatmesh.wire.SendRequest;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.WireMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Writes and reads {@code chatmesh.v1.EnvelopeBatch} bytes directly with {@link CodedOutputStream}
 * / {@link CodedInputStream}, without generated message objects for the frequent messages
 * (Envelope header, SendRequest, Reply, Sequenced, Heartbeat, RoomTail, ResendRequest). Every other
 * body goes through the generated classes and {@link WireCodec}. The bytes are exactly the
 * {@code chatmesh/v1} schema (proto3: defaults omitted, {@code optional} presence kept, fields in
 * number order on encode; any field order accepted on decode); {@code BatchCodecTest} checks both
 * directions against the generated classes.
 *
 * <p>Evolution (proto/README.md): unknown fields, at any level, are skipped by their wire type; an
 * envelope whose body is of a type this build does not know (an unknown field numbered from the
 * first body number up, and no known body) is skipped and reported to the decoder's {@link
 * UnknownBodies} listener, the rest of the batch is decoded. Neither costs the known types anything:
 * the checks sit on the paths unknown tags take anyway.
 *
 * <p>{@link #encodeRecord} is stateless and thread-safe. A {@link Decoder} holds small bounded
 * caches and is for one inbound stream (one thread at a time).
 */
final class BatchCodec {
  private BatchCodec() {}

  private static final int LD = WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final int VARINT = WireFormat.WIRETYPE_VARINT;

  // field numbers come from the generated classes, so they cannot drift from the .proto files
  static final int BATCH_ENVELOPES = EnvelopeProto.EnvelopeBatch.ENVELOPES_FIELD_NUMBER;
  private static final int ENV_FROM = EnvelopeProto.Envelope.FROM_FIELD_NUMBER;
  private static final int ENV_INCARNATION = EnvelopeProto.Envelope.INCARNATION_FIELD_NUMBER;
  private static final int ENV_HEARTBEAT = EnvelopeProto.Envelope.HEARTBEAT_FIELD_NUMBER;
  private static final int ENV_SEND_REQUEST = EnvelopeProto.Envelope.SEND_REQUEST_FIELD_NUMBER;
  private static final int ENV_REPLY = EnvelopeProto.Envelope.REPLY_FIELD_NUMBER;
  private static final int ENV_SEQUENCED = EnvelopeProto.Envelope.SEQUENCED_FIELD_NUMBER;
  private static final int ENV_RESEND_REQUEST = EnvelopeProto.Envelope.RESEND_REQUEST_FIELD_NUMBER;
  private static final int ENV_ROOM_TAIL = EnvelopeProto.Envelope.ROOM_TAIL_FIELD_NUMBER;

  private static final int SR_REQUEST_ID = RoomProto.SendRequest.REQUEST_ID_FIELD_NUMBER;
  private static final int SR_ROOM = RoomProto.SendRequest.ROOM_FIELD_NUMBER;
  private static final int SR_USER = RoomProto.SendRequest.USER_FIELD_NUMBER;
  private static final int SR_CMID = RoomProto.SendRequest.CLIENT_MESSAGE_ID_FIELD_NUMBER;
  private static final int SR_TEXT = RoomProto.SendRequest.TEXT_FIELD_NUMBER;

  private static final int RE_REQUEST_ID = RoomProto.Reply.REQUEST_ID_FIELD_NUMBER;
  private static final int RE_ERROR = RoomProto.Reply.ERROR_FIELD_NUMBER;
  private static final int RE_MESSAGE = RoomProto.Reply.MESSAGE_FIELD_NUMBER;
  private static final int RE_EPOCH = RoomProto.Reply.EPOCH_FIELD_NUMBER;
  private static final int RE_SEQ = RoomProto.Reply.SEQ_FIELD_NUMBER;
  private static final int RE_DUPLICATE = RoomProto.Reply.DUPLICATE_FIELD_NUMBER;
  private static final int RE_MEMBERS = RoomProto.Reply.MEMBERS_FIELD_NUMBER;

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

  private static final int HB_DRAINING = MembershipProto.Heartbeat.DRAINING_FIELD_NUMBER;

  private static final int RT_ROOM = LogProto.RoomTail.ROOM_FIELD_NUMBER;
  private static final int RT_EPOCH = LogProto.RoomTail.EPOCH_FIELD_NUMBER;
  private static final int RT_LAST_SEQ = LogProto.RoomTail.LAST_SEQ_FIELD_NUMBER;

  // tags (field number << 3 | wire type), constant so they can be switch labels
  private static final int T_BATCH_ENVELOPES = BATCH_ENVELOPES << 3 | LD;
  private static final int T_ENV_FROM = ENV_FROM << 3 | LD;
  private static final int T_ENV_INCARNATION = ENV_INCARNATION << 3 | VARINT;
  private static final int T_ENV_HEARTBEAT = ENV_HEARTBEAT << 3 | LD;
  private static final int T_ENV_SEND_REQUEST = ENV_SEND_REQUEST << 3 | LD;
  private static final int T_ENV_REPLY = ENV_REPLY << 3 | LD;
  private static final int T_ENV_SEQUENCED = ENV_SEQUENCED << 3 | LD;
  private static final int T_ENV_RESEND_REQUEST = ENV_RESEND_REQUEST << 3 | LD;
  private static final int T_ENV_ROOM_TAIL = ENV_ROOM_TAIL << 3 | LD;
  private static final int T_SR_REQUEST_ID = SR_REQUEST_ID << 3 | VARINT;
  private static final int T_SR_ROOM = SR_ROOM << 3 | LD;
  private static final int T_SR_USER = SR_USER << 3 | LD;
  private static final int T_SR_CMID = SR_CMID << 3 | LD;
  private static final int T_SR_TEXT = SR_TEXT << 3 | LD;
  private static final int T_RE_REQUEST_ID = RE_REQUEST_ID << 3 | VARINT;
  private static final int T_RE_ERROR = RE_ERROR << 3 | VARINT;
  private static final int T_RE_MESSAGE = RE_MESSAGE << 3 | LD;
  private static final int T_RE_EPOCH = RE_EPOCH << 3 | VARINT;
  private static final int T_RE_SEQ = RE_SEQ << 3 | VARINT;
  private static final int T_RE_DUPLICATE = RE_DUPLICATE << 3 | VARINT;
  private static final int T_HB_DRAINING = HB_DRAINING << 3 | VARINT;
  private static final int T_RE_MEMBERS = RE_MEMBERS << 3 | LD;
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

  /** Field numbers of the Envelope's {@code body} oneof, from the descriptor. */
  private static final boolean[] BODY_FIELDS = bodyFields();

  /**
   * The lowest body number: an unknown Envelope field from here up is a body type of a newer schema
   * (envelope-level fields use the numbers below it, see envelope.proto).
   */
  static final int FIRST_BODY_FIELD = firstBodyField();

  private static int firstBodyField() {
    return EnvelopeProto.Envelope.getDescriptor().getOneofs().get(0).getFields().stream()
        .mapToInt(FieldDescriptor::getNumber)
        .min()
        .orElseThrow();
  }

  private static boolean[] bodyFields() {
    List<FieldDescriptor> fields = EnvelopeProto.Envelope.getDescriptor().getOneofs().get(0).getFields();
    int max = 0;
    for (FieldDescriptor f : fields) {
      max = Math.max(max, f.getNumber());
    }
    boolean[] out = new boolean[max + 1];
    for (FieldDescriptor f : fields) {
      out[f.getNumber()] = true;
    }
    return out;
  }

  // ================================================================ encode

  /**
   * Encodes {@code e} as one {@code envelopes} record of an EnvelopeBatch (tag, length, the
   * Envelope's bytes), so a batch is the concatenation of such records.
   *
   * @throws RuntimeException if the envelope cannot be encoded (a message type without mapping)
   */
  static byte[] encodeRecord(Envelope e) {
    WireMessage m = e.message();
    int bodyField;
    int bodySize;
    if (m instanceof Sequenced x) {
      bodyField = ENV_SEQUENCED;
      bodySize = sequencedSize(x);
    } else if (m instanceof SendRequest x) {
      bodyField = ENV_SEND_REQUEST;
      bodySize = sendRequestSize(x);
    } else if (m instanceof Reply x) {
      bodyField = ENV_REPLY;
      bodySize = replySize(x);
    } else if (m instanceof Heartbeat x) {
      bodyField = ENV_HEARTBEAT;
      bodySize = x.draining() ? CodedOutputStream.computeBoolSize(HB_DRAINING, true) : 0;
    } else if (m instanceof RoomTail x) {
      bodyField = ENV_ROOM_TAIL;
      bodySize = stringSize(RT_ROOM, x.room()) + int64Size(RT_EPOCH, x.epoch()) + int64Size(RT_LAST_SEQ, x.lastSeq());
    } else if (m instanceof ResendRequest x) {
      bodyField = ENV_RESEND_REQUEST;
      bodySize =
          stringSize(RR_ROOM, x.room()) + int64Size(RR_FROM_SEQ, x.fromSeq()) + int64Size(RR_TO_SEQ, x.toSeq());
    } else {
      return delegated(e);
    }
    String from = e.from().value();
    long incarnation = e.incarnation();
    int envelopeSize =
        stringSize(ENV_FROM, from)
            + int64Size(ENV_INCARNATION, incarnation)
            + CodedOutputStream.computeTagSize(bodyField)
            + CodedOutputStream.computeUInt32SizeNoTag(bodySize)
            + bodySize;
    byte[] out = new byte[recordSize(envelopeSize)];
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    try {
      o.writeTag(BATCH_ENVELOPES, LD);
      o.writeUInt32NoTag(envelopeSize);
      writeString(o, ENV_FROM, from);
      writeInt64(o, ENV_INCARNATION, incarnation);
      o.writeTag(bodyField, LD);
      o.writeUInt32NoTag(bodySize);
      if (m instanceof Sequenced x) {
        writeSequenced(o, x);
      } else if (m instanceof SendRequest x) {
        writeInt64(o, SR_REQUEST_ID, x.requestId());
        writeString(o, SR_ROOM, x.room());
        writeString(o, SR_USER, x.user().value());
        writeString(o, SR_CMID, x.clientMessageId());
        writeString(o, SR_TEXT, x.text());
      } else if (m instanceof Reply x) {
        writeReply(o, x);
      } else if (m instanceof RoomTail x) {
        writeString(o, RT_ROOM, x.room());
        writeInt64(o, RT_EPOCH, x.epoch());
        writeInt64(o, RT_LAST_SEQ, x.lastSeq());
      } else if (m instanceof Heartbeat x && x.draining()) {
        o.writeBool(HB_DRAINING, true);
      } else if (m instanceof ResendRequest x) {
        writeString(o, RR_ROOM, x.room());
        writeInt64(o, RR_FROM_SEQ, x.fromSeq());
        writeInt64(o, RR_TO_SEQ, x.toSeq());
      }
      o.checkNoSpaceLeft();
    } catch (IOException ex) {
      // the array is sized from the same compute* functions the writers use
      throw new IllegalStateException("encoded size of " + m.getClass().getSimpleName() + " differs from its computed size", ex);
    }
    return out;
  }

  /** Every other body: the generated classes through {@link WireCodec}. */
  private static byte[] delegated(Envelope e) {
    EnvelopeProto.Envelope proto = WireCodec.encode(e);
    int size = proto.getSerializedSize();
    byte[] out = new byte[recordSize(size)];
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    try {
      o.writeTag(BATCH_ENVELOPES, LD);
      o.writeUInt32NoTag(size);
      proto.writeTo(o);
      o.checkNoSpaceLeft();
    } catch (IOException ex) {
      throw new IllegalStateException("encoded size of " + e.message().getClass().getSimpleName() + " differs", ex);
    }
    return out;
  }

  private static int recordSize(int envelopeSize) {
    return CodedOutputStream.computeTagSize(BATCH_ENVELOPES) + CodedOutputStream.computeUInt32SizeNoTag(envelopeSize) + envelopeSize;
  }

  private static int sequencedSize(Sequenced x) {
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

  private static void writeSequenced(CodedOutputStream o, Sequenced x) throws IOException {
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

  private static int sendRequestSize(SendRequest x) {
    return int64Size(SR_REQUEST_ID, x.requestId())
        + stringSize(SR_ROOM, x.room())
        + stringSize(SR_USER, x.user().value())
        + stringSize(SR_CMID, x.clientMessageId())
        + stringSize(SR_TEXT, x.text());
  }

  private static int replySize(Reply x) {
    ErrorCode error = x.error();
    int size =
        int64Size(RE_REQUEST_ID, x.requestId())
            + (error == null ? 0 : CodedOutputStream.computeEnumSize(RE_ERROR, WireCodec.errorCode(error).getNumber()))
            + stringSize(RE_MESSAGE, x.message())
            + int64Size(RE_EPOCH, x.epoch())
            + int64Size(RE_SEQ, x.seq())
            + (x.duplicate() ? CodedOutputStream.computeBoolSize(RE_DUPLICATE, true) : 0);
    List<UserId> members = x.members();
    for (int i = 0, n = members.size(); i < n; i++) {
      size += CodedOutputStream.computeStringSize(RE_MEMBERS, members.get(i).value()); // repeated: empty too
    }
    return size;
  }

  private static void writeReply(CodedOutputStream o, Reply x) throws IOException {
    writeInt64(o, RE_REQUEST_ID, x.requestId());
    ErrorCode error = x.error();
    if (error != null) {
      o.writeEnum(RE_ERROR, WireCodec.errorCode(error).getNumber()); // optional: presence is the point
    }
    writeString(o, RE_MESSAGE, x.message());
    writeInt64(o, RE_EPOCH, x.epoch());
    writeInt64(o, RE_SEQ, x.seq());
    if (x.duplicate()) {
      o.writeBool(RE_DUPLICATE, true);
    }
    List<UserId> members = x.members();
    for (int i = 0, n = members.size(); i < n; i++) {
      o.writeString(RE_MEMBERS, members.get(i).value());
    }
  }

  // proto3 implicit presence: a default value is not written
  private static int stringSize(int field, String s) {
    return s.isEmpty() ? 0 : CodedOutputStream.computeStringSize(field, s);
  }

  private static int int64Size(int field, long v) {
    return v == 0 ? 0 : CodedOutputStream.computeInt64Size(field, v);
  }

  private static void writeString(CodedOutputStream o, int field, String s) throws IOException {
    if (!s.isEmpty()) {
      o.writeString(field, s);
    }
  }

  private static void writeInt64(CodedOutputStream o, int field, long v) throws IOException {
    if (v != 0) {
      o.writeInt64(field, v);
    }
  }

  // ================================================================ decode

  /**
   * Decodes EnvelopeBatch bytes of one inbound stream in one pass. Not thread-safe: one per stream
   * (gRPC calls a stream's listener serially). Its caches map the UTF-8 bytes of the ids and room
   * names that repeat on every message (sender node, users, rooms) to the validated value, so a
   * repeated value is neither decoded nor validated again; they are fixed-size (direct-mapped, a
   * collision replaces the entry), so hostile input cannot make them grow.
   */
  static final class Decoder {
    /** Told about every envelope skipped for an unknown body type. */
    interface UnknownBodies {
      /**
       * An envelope from node {@code from} had no body this build knows, and an unknown field
       * numbered {@code field} (at least {@link #FIRST_BODY_FIELD}). Called on the decoding thread.
       */
      void skipped(int field, String from);
    }

    /** Values longer than this are not cached (ids are at most 64 characters). */
    static final int MAX_CACHED_BYTES = 127;

    private final IdCache nodes = new IdCache(16, Decoder::validNode);
    private final IdCache users = new IdCache(1024, Decoder::validUser);
    private final IdCache rooms = new IdCache(512, s -> s);

    private static final byte[] EMPTY = new byte[0];

    private byte[] buf = EMPTY;
    private int base;
    /** A validation failure in the body, reported after the sender id (WireCodec's order). */
    private @Nullable ChatException deferred;
    private final UnknownBodies unknownBodies;

    /** A decoder that skips unknown body types silently. */
    Decoder() {
      this((field, from) -> {});
    }

    Decoder(UnknownBodies unknownBodies) {
      this.unknownBodies = unknownBodies;
    }

    /**
     * Decodes a whole batch.
     *
     * <p>Envelopes with an unknown body type are left out and reported to the {@link
     * UnknownBodies} listener.
     *
     * @throws ChatException BAD_REQUEST naming the problem (invalid protobuf, an invalid id or enum,
     *     an envelope without any body); nothing of the batch is returned then
     */
    List<Envelope> decode(byte[] bytes, int offset, int length) {
      buf = bytes;
      base = offset;
      CodedInputStream in = CodedInputStream.newInstance(bytes, offset, length);
      List<Envelope> out = new ArrayList<>();
      try {
        while (true) {
          int tag = in.readTag();
          if (tag == 0) {
            break;
          }
          if (tag == T_BATCH_ENVELOPES) {
            int size = in.readRawVarint32();
            int start = base + in.getTotalBytesRead();
            int old = in.pushLimit(size);
            Envelope e = envelope(in, start, size);
            if (e != null) {
              out.add(e);
            }
            in.popLimit(old);
          } else if (!in.skipField(tag)) {
            break;
          }
        }
        in.checkLastTagWas(0);
      } catch (InvalidProtocolBufferException e) {
        throw WireCodec.bad("not a valid chatmesh.v1.EnvelopeBatch: " + e.getMessage());
      } catch (IOException e) {
        // CodedInputStream over an array throws only InvalidProtocolBufferException
        throw WireCodec.bad("not a valid chatmesh.v1.EnvelopeBatch: " + e);
      } finally {
        buf = EMPTY;
        deferred = null;
      }
      return out;
    }

    /** The envelope, or null if its body is of an unknown type (reported, skipped). */
    private @Nullable Envelope envelope(CodedInputStream in, int start, int size) throws IOException {
      Object from = "";
      long incarnation = 0;
      WireMessage body = null;
      int bodyTag = 0;
      int unknownBody = 0;
      deferred = null;
      loop:
      while (true) {
        int tag = in.readTag();
        switch (tag) {
          case 0:
            break loop;
          case T_ENV_FROM:
            from = nodes.read(in, buf, base);
            break;
          case T_ENV_INCARNATION:
            incarnation = in.readInt64();
            break;
          case T_ENV_SEQUENCED:
          case T_ENV_SEND_REQUEST:
          case T_ENV_REPLY:
          case T_ENV_HEARTBEAT:
          case T_ENV_ROOM_TAIL:
          case T_ENV_RESEND_REQUEST:
            if (bodyTag != 0) {
              return generated(in, start, size); // a second body field: merge / replace rules, rare
            }
            bodyTag = tag;
            deferred = null;
            int length = in.readRawVarint32();
            int old = in.pushLimit(length);
            body = body(in, tag);
            in.popLimit(old);
            break;
          default:
            int field = WireFormat.getTagFieldNumber(tag);
            if (field < BODY_FIELDS.length && BODY_FIELDS[field]) {
              if (WireFormat.getTagWireType(tag) == LD) {
                return generated(in, start, size); // another body type: the generated classes
              }
            } else if (field >= FIRST_BODY_FIELD) {
              unknownBody = Math.max(unknownBody, field); // a body type of a newer schema
            }
            if (!in.skipField(tag)) {
              break loop;
            }
        }
      }
      in.checkLastTagWas(0);
      NodeId node = from instanceof NodeId n ? n : WireCodec.node((String) from, "envelope.from");
      ChatException d = deferred;
      if (d != null) {
        throw d;
      }
      if (body == null && bodyTag == 0 && unknownBody != 0) {
        unknownBodies.skipped(unknownBody, node.value());
        return null;
      }
      if (body == null) {
        throw WireCodec.bad("envelope from '" + node.value() + "' has no body this node understands");
      }
      return new Envelope(node, incarnation, body);
    }

    /** Parses the envelope at [start, start + size) with the generated classes. */
    private Envelope generated(CodedInputStream in, int start, int size) throws IOException {
      in.skipRawBytes(in.getBytesUntilLimit());
      return WireCodec.decode(EnvelopeProto.Envelope.parser().parseFrom(buf, start, size));
    }

    private @Nullable WireMessage body(CodedInputStream in, int tag) throws IOException {
      switch (tag) {
        case T_ENV_SEQUENCED:
          return sequenced(in);
        case T_ENV_SEND_REQUEST:
          return sendRequest(in);
        case T_ENV_REPLY:
          return reply(in);
        case T_ENV_HEARTBEAT:
          return heartbeat(in);
        case T_ENV_ROOM_TAIL:
          return roomTail(in);
        case T_ENV_RESEND_REQUEST:
          return resendRequest(in);
        default:
          throw new IllegalStateException("not a hot body tag: " + tag);
      }
    }

    private @Nullable WireMessage sequenced(CodedInputStream in) throws IOException {
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
            room = (String) rooms.read(in, buf, base);
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
            user = users.read(in, buf, base);
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
      try {
        LogProto.EventKind k = LogProto.EventKind.forNumber(kind);
        return new Sequenced(
            room,
            epoch,
            seq,
            WireCodec.eventKind(k == null ? LogProto.EventKind.UNRECOGNIZED : k),
            user(user, "sequenced.user"),
            text,
            cmid,
            timestamp);
      } catch (ChatException e) {
        deferred = e;
        return null;
      }
    }

    private @Nullable WireMessage sendRequest(CodedInputStream in) throws IOException {
      long requestId = 0;
      String room = "";
      Object user = "";
      String cmid = "";
      String text = "";
      loop:
      while (true) {
        int tag = in.readTag();
        switch (tag) {
          case 0:
            break loop;
          case T_SR_REQUEST_ID:
            requestId = in.readInt64();
            break;
          case T_SR_ROOM:
            room = (String) rooms.read(in, buf, base);
            break;
          case T_SR_USER:
            user = users.read(in, buf, base);
            break;
          case T_SR_CMID:
            cmid = in.readStringRequireUtf8();
            break;
          case T_SR_TEXT:
            text = in.readStringRequireUtf8();
            break;
          default:
            if (!in.skipField(tag)) {
              break loop;
            }
        }
      }
      in.checkLastTagWas(0);
      try {
        return new SendRequest(requestId, room, user(user, "send_request.user"), cmid, text);
      } catch (ChatException e) {
        deferred = e;
        return null;
      }
    }

    private @Nullable WireMessage reply(CodedInputStream in) throws IOException {
      long requestId = 0;
      boolean hasError = false;
      int error = 0;
      String message = "";
      long epoch = 0;
      long seq = 0;
      boolean duplicate = false;
      List<Object> members = null;
      loop:
      while (true) {
        int tag = in.readTag();
        switch (tag) {
          case 0:
            break loop;
          case T_RE_REQUEST_ID:
            requestId = in.readInt64();
            break;
          case T_RE_ERROR:
            hasError = true;
            error = in.readEnum();
            break;
          case T_RE_MESSAGE:
            message = in.readStringRequireUtf8();
            break;
          case T_RE_EPOCH:
            epoch = in.readInt64();
            break;
          case T_RE_SEQ:
            seq = in.readInt64();
            break;
          case T_RE_DUPLICATE:
            duplicate = in.readBool();
            break;
          case T_RE_MEMBERS:
            if (members == null) {
              members = new ArrayList<>();
            }
            members.add(users.read(in, buf, base));
            break;
          default:
            if (!in.skipField(tag)) {
              break loop;
            }
        }
      }
      in.checkLastTagWas(0);
      try {
        List<UserId> ids;
        if (members == null) {
          ids = List.of();
        } else {
          UserId[] a = new UserId[members.size()];
          for (int i = 0; i < a.length; i++) {
            a[i] = user(members.get(i), "reply.members");
          }
          ids = Arrays.asList(a); // Reply copies it
        }
        ErrorCode code = null;
        if (hasError) {
          RoomProto.ErrorCode c = RoomProto.ErrorCode.forNumber(error);
          code = WireCodec.errorCode(c == null ? RoomProto.ErrorCode.UNRECOGNIZED : c);
        }
        return new Reply(requestId, code, message, epoch, seq, duplicate, ids);
      } catch (ChatException e) {
        deferred = e;
        return null;
      }
    }

    private static final Heartbeat HEARTBEAT = new Heartbeat(false);
    private static final Heartbeat DRAINING = new Heartbeat(true);

    /** Heartbeat: its draining flag (the last one wins); any other field is a newer schema's: skipped. */
    private static WireMessage heartbeat(CodedInputStream in) throws IOException {
      boolean draining = false;
      while (true) {
        int tag = in.readTag();
        if (tag == T_HB_DRAINING) {
          draining = in.readBool();
        } else if (tag == 0 || !in.skipField(tag)) {
          break;
        }
      }
      in.checkLastTagWas(0);
      return draining ? DRAINING : HEARTBEAT;
    }

    private WireMessage roomTail(CodedInputStream in) throws IOException {
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
            room = (String) rooms.read(in, buf, base);
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

    private WireMessage resendRequest(CodedInputStream in) throws IOException {
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
            room = (String) rooms.read(in, buf, base);
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

    private static UserId user(Object cachedOrRaw, String field) {
      return cachedOrRaw instanceof UserId u ? u : WireCodec.user((String) cachedOrRaw, field);
    }

    private static @Nullable Object validNode(String s) {
      try {
        return NodeId.of(s);
      } catch (ChatException e) {
        return null;
      }
    }

    private static @Nullable Object validUser(String s) {
      try {
        return UserId.of(s);
      } catch (ChatException e) {
        return null;
      }
    }

    /** Cache statistics for tests: how many reads were answered from the cache. */
    long cacheHits() {
      return nodes.hits + users.hits + rooms.hits;
    }
  }

  /**
   * A fixed-size, direct-mapped map from the UTF-8 bytes of a short string field to its decoded
   * (and validated) value. Bounded by construction: {@code capacity} keys of at most
   * {@link Decoder#MAX_CACHED_BYTES} bytes.
   */
  static final class IdCache {
    interface Maker {
      /** The value for a decoded string, or null if it is invalid (then it is not cached). */
      @Nullable Object make(String s);
    }

    private final byte[][] keys;
    private final Object[] values;
    private final int mask;
    private final Maker maker;
    long hits;

    IdCache(int capacity, Maker maker) {
      if (Integer.bitCount(capacity) != 1) {
        throw new IllegalArgumentException("capacity must be a power of two: " + capacity);
      }
      this.keys = new byte[capacity][];
      this.values = new Object[capacity];
      this.mask = capacity - 1;
      this.maker = maker;
    }

    /**
     * Reads a length-delimited string field at the stream's position. Returns the cached or newly
     * made value, or the raw string if it is invalid (the caller reports it, naming the field).
     */
    Object read(CodedInputStream in, byte[] buf, int base) throws IOException {
      int pos = base + in.getTotalBytesRead(); // the length varint
      int len;
      // one-byte length (< 128) that lies within the current message
      if (pos < buf.length && (len = buf[pos]) >= 0 && len < in.getBytesUntilLimit()) {
        int start = pos + 1;
        int end = start + len;
        int h = 0;
        for (int i = start; i < end; i++) {
          h = 31 * h + buf[i];
        }
        int slot = (h ^ (h >>> 16)) & mask;
        byte[] k = keys[slot];
        if (k != null && Arrays.equals(k, 0, k.length, buf, start, end)) {
          in.skipRawBytes(1 + len);
          hits++;
          return values[slot];
        }
        String s = in.readStringRequireUtf8(); // valid UTF-8 or an exception
        Object v = maker.make(s);
        if (v == null) {
          return s;
        }
        keys[slot] = Arrays.copyOfRange(buf, start, end);
        values[slot] = v;
        return v;
      }
      String s = in.readStringRequireUtf8();
      Object v = maker.make(s);
      return v == null ? s : v;
    }
  }
}
