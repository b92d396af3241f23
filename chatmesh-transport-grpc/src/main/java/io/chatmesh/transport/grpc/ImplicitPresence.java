package io.chatmesh.transport.grpc;

import com.google.protobuf.CodedOutputStream;
import java.io.IOException;

/**
 * Sizes and writes proto3 scalar fields with implicit presence, the way the generated classes do:
 * a field holding its default value ({@code ""}, {@code 0}) is not written and takes no bytes. The
 * hand-written encoders ({@link BatchCodec}, {@link RoomBodyCodec}, {@link LogBodyCodec}) use these so
 * their bytes equal the generated classes' bytes; fields declared {@code optional} or
 * {@code repeated} are written directly instead, since an empty value is present there.
 *
 * <p>Stateless; thread-safe.
 */
final class ImplicitPresence {
  private ImplicitPresence() {}

  static int stringSize(int field, String s) {
    return s.isEmpty() ? 0 : CodedOutputStream.computeStringSize(field, s);
  }

  static int int64Size(int field, long v) {
    return v == 0 ? 0 : CodedOutputStream.computeInt64Size(field, v);
  }

  static void writeString(CodedOutputStream o, int field, String s) throws IOException {
    if (!s.isEmpty()) {
      o.writeString(field, s);
    }
  }

  static void writeInt64(CodedOutputStream o, int field, long v) throws IOException {
    if (v != 0) {
      o.writeInt64(field, v);
    }
  }
}
