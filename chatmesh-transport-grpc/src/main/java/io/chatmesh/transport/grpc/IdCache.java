package io.chatmesh.transport.grpc;

import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * A fixed-size, direct-mapped map from the UTF-8 bytes of a short string field (an id, a room name)
 * to its decoded and validated value, used by {@link BatchCodec.Decoder} so a value that repeats on
 * every message is neither decoded nor validated again. Bounded by construction: {@code capacity}
 * keys of at most {@link BatchCodec.Decoder#MAX_CACHED_BYTES} bytes; a collision replaces the entry,
 * so hostile input cannot make it grow.
 *
 * <p>Not thread-safe: one per decoder, used by one inbound stream at a time.
 */
final class IdCache {
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
