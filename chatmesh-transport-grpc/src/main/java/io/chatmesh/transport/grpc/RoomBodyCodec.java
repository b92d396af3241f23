package io.chatmesh.transport.grpc;

import static io.chatmesh.transport.grpc.ImplicitPresence.int64Size;
import static io.chatmesh.transport.grpc.ImplicitPresence.stringSize;
import static io.chatmesh.transport.grpc.ImplicitPresence.writeInt64;
import static io.chatmesh.transport.grpc.ImplicitPresence.writeString;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.chatmesh.ErrorCode;
import io.chatmesh.UserId;
import io.chatmesh.proto.v1.RoomProto;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.SendRequest;
import io.chatmesh.wire.WireMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Hand-written encode and decode of the room request family of {@code room.proto}: {@code
 * SendRequest} (a member node forwards a user's message to the room's admin) and {@code Reply} (the
 * admin's answer). Only the body bytes inside an Envelope; {@link BatchCodec} writes and reads the
 * envelope and batch framing around them. Bytes are exactly the generated classes' (fields in number
 * order, proto3 defaults omitted, {@code optional} presence kept); decoding accepts any field order
 * and skips unknown fields.
 *
 * <p>Stateless; thread-safe. Decoding reads ids and room names through the calling {@link
 * BatchCodec.Decoder}'s caches, so it runs on that decoder's thread.
 */
final class RoomBodyCodec {
  private RoomBodyCodec() {}

  private static final int LD = WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final int VARINT = WireFormat.WIRETYPE_VARINT;

  // field numbers come from the generated classes, so they cannot drift from the .proto files
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

  // tags (field number << 3 | wire type), constant so they can be switch labels
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
  private static final int T_RE_MEMBERS = RE_MEMBERS << 3 | LD;

  // ================================================================ encode

  static int sendRequestSize(SendRequest x) {
    return int64Size(SR_REQUEST_ID, x.requestId())
        + stringSize(SR_ROOM, x.room())
        + stringSize(SR_USER, x.user().value())
        + stringSize(SR_CMID, x.clientMessageId())
        + stringSize(SR_TEXT, x.text());
  }

  static void writeSendRequest(CodedOutputStream o, SendRequest x) throws IOException {
    writeInt64(o, SR_REQUEST_ID, x.requestId());
    writeString(o, SR_ROOM, x.room());
    writeString(o, SR_USER, x.user().value());
    writeString(o, SR_CMID, x.clientMessageId());
    writeString(o, SR_TEXT, x.text());
  }

  static int replySize(Reply x) {
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

  static void writeReply(CodedOutputStream o, Reply x) throws IOException {
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

  // ================================================================ decode

  /**
   * Reads a SendRequest body up to the stream's current limit.
   *
   * @throws io.chatmesh.ChatException BAD_REQUEST for invalid content (thrown only once the whole
   *     body was read, so the decoder can report it after the sender id)
   */
  static WireMessage readSendRequest(CodedInputStream in, BatchCodec.Decoder d) throws IOException {
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
          room = d.readRoom(in);
          break;
        case T_SR_USER:
          user = d.readUser(in);
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
    return new SendRequest(requestId, room, BatchCodec.Decoder.toUser(user, "send_request.user"), cmid, text);
  }

  /**
   * Reads a Reply body up to the stream's current limit.
   *
   * @throws io.chatmesh.ChatException BAD_REQUEST for invalid content (thrown only once the whole
   *     body was read, so the decoder can report it after the sender id)
   */
  static WireMessage readReply(CodedInputStream in, BatchCodec.Decoder d) throws IOException {
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
          members.add(d.readUser(in));
          break;
        default:
          if (!in.skipField(tag)) {
            break loop;
          }
      }
    }
    in.checkLastTagWas(0);
    List<UserId> ids;
    if (members == null) {
      ids = List.of();
    } else {
      UserId[] a = new UserId[members.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = BatchCodec.Decoder.toUser(members.get(i), "reply.members");
      }
      ids = Arrays.asList(a); // Reply copies it
    }
    ErrorCode code = null;
    if (hasError) {
      RoomProto.ErrorCode c = RoomProto.ErrorCode.forNumber(error);
      code = WireCodec.errorCode(c == null ? RoomProto.ErrorCode.UNRECOGNIZED : c);
    }
    return new Reply(requestId, code, message, epoch, seq, duplicate, ids);
  }
}
