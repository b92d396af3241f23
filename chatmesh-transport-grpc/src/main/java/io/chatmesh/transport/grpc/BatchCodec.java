package io.chatmesh.transport.grpc;

import static io.chatmesh.transport.grpc.ImplicitPresence.int64Size;
import static io.chatmesh.transport.grpc.ImplicitPresence.stringSize;
import static io.chatmesh.transport.grpc.ImplicitPresence.writeInt64;
import static io.chatmesh.transport.grpc.ImplicitPresence.writeString;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.chatmesh.ChatException;
import io.chatmesh.NodeId;
import io.chatmesh.UserId;
import io.chatmesh.proto.v1.EnvelopeProto;
import io.chatmesh.proto.v1.MembershipProto;
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
 * <p>This class is the batch and envelope framing (the {@code envelopes} records, the Envelope's
 * sender, incarnation and body field, the dispatch on the body type, unknown bodies); the hot bodies
 * themselves are written and read by {@link RoomBodyCodec} (SendRequest, Reply) and {@link
 * LogBodyCodec} (Sequenced, RoomTail, ResendRequest).
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
  private static final int HB_DRAINING = MembershipProto.Heartbeat.DRAINING_FIELD_NUMBER;

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
  private static final int T_HB_DRAINING = HB_DRAINING << 3 | VARINT;

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
      bodySize = LogBodyCodec.sequencedSize(x);
    } else if (m instanceof SendRequest x) {
      bodyField = ENV_SEND_REQUEST;
      bodySize = RoomBodyCodec.sendRequestSize(x);
    } else if (m instanceof Reply x) {
      bodyField = ENV_REPLY;
      bodySize = RoomBodyCodec.replySize(x);
    } else if (m instanceof Heartbeat x) {
      bodyField = ENV_HEARTBEAT;
      bodySize = x.draining() ? CodedOutputStream.computeBoolSize(HB_DRAINING, true) : 0;
    } else if (m instanceof RoomTail x) {
      bodyField = ENV_ROOM_TAIL;
      bodySize = LogBodyCodec.roomTailSize(x);
    } else if (m instanceof ResendRequest x) {
      bodyField = ENV_RESEND_REQUEST;
      bodySize = LogBodyCodec.resendRequestSize(x);
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
        LogBodyCodec.writeSequenced(o, x);
      } else if (m instanceof SendRequest x) {
        RoomBodyCodec.writeSendRequest(o, x);
      } else if (m instanceof Reply x) {
        RoomBodyCodec.writeReply(o, x);
      } else if (m instanceof RoomTail x) {
        LogBodyCodec.writeRoomTail(o, x);
      } else if (m instanceof Heartbeat x && x.draining()) {
        o.writeBool(HB_DRAINING, true);
      } else if (m instanceof ResendRequest x) {
        LogBodyCodec.writeResendRequest(o, x);
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

    /**
     * The body, or null if its content is invalid: that failure is kept in {@link #deferred} and
     * reported after the sender id (the family codecs throw it only once the whole body was read).
     */
    private @Nullable WireMessage body(CodedInputStream in, int tag) throws IOException {
      try {
        switch (tag) {
          case T_ENV_SEQUENCED:
            return LogBodyCodec.readSequenced(in, this);
          case T_ENV_SEND_REQUEST:
            return RoomBodyCodec.readSendRequest(in, this);
          case T_ENV_REPLY:
            return RoomBodyCodec.readReply(in, this);
          case T_ENV_HEARTBEAT:
            return heartbeat(in);
          case T_ENV_ROOM_TAIL:
            return LogBodyCodec.readRoomTail(in, this);
          case T_ENV_RESEND_REQUEST:
            return LogBodyCodec.readResendRequest(in, this);
          default:
            throw new IllegalStateException("not a hot body tag: " + tag);
        }
      } catch (ChatException e) {
        deferred = e;
        return null;
      }
    }

    /** A room name at the stream's position, through this stream's cache. */
    String readRoom(CodedInputStream in) throws IOException {
      return (String) rooms.read(in, buf, base);
    }

    /**
     * A user id at the stream's position, through this stream's cache: the {@link UserId}, or the raw
     * string if it is invalid (turn it into either with {@link #toUser}).
     */
    Object readUser(CodedInputStream in) throws IOException {
      return users.read(in, buf, base);
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

    /**
     * The user id {@link #readUser} read.
     *
     * @throws ChatException BAD_REQUEST naming {@code field} if it is not a valid user id
     */
    static UserId toUser(Object cachedOrRaw, String field) {
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
}
