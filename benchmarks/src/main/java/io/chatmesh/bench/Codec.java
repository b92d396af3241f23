package io.chatmesh.bench;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The benchmark message: (room, publisher, pubSeq, nanoTime) header plus padding to the payload
 * size. Binary form for the peers that carry bytes, text form for chatmesh (whose messages are text).
 * Stateless; thread-safe.
 */
public final class Codec {
  /** Bytes of the binary header: room(4) publisher(4) pubSeq(8) stamp(8). */
  public static final int HEADER_BYTES = 24;
  /** Longest text header ("room:publisher:pubSeq:stamp:" with 19-digit stamps). */
  public static final int HEADER_CHARS = 64;

  private Codec() {}

  /** Binary message of exactly {@code size} bytes. */
  public static byte[] encode(int size, int room, int publisher, long pubSeq, long stamp) {
    byte[] b = new byte[size];
    ByteBuffer.wrap(b).putInt(room).putInt(publisher).putLong(pubSeq).putLong(stamp);
    return b;
  }

  /** Decoded header of a binary message. */
  public static void decode(byte[] b, int offset, Delivery out) {
    ByteBuffer bb = ByteBuffer.wrap(b, offset, HEADER_BYTES);
    out.room = bb.getInt();
    out.publisher = bb.getInt();
    out.pubSeq = bb.getLong();
    out.stamp = bb.getLong();
  }

  private static final String PAD;

  static {
    char[] c = new char[64 * 1024];
    Arrays.fill(c, 'x');
    PAD = new String(c);
  }

  /** Text message of exactly {@code size} characters (ASCII, so also bytes in UTF-8). */
  public static String encodeText(int size, int room, int publisher, long pubSeq, long stamp) {
    StringBuilder sb = new StringBuilder(size);
    sb.append(room).append(':').append(publisher).append(':').append(pubSeq).append(':').append(stamp).append(':');
    int pad = size - sb.length();
    if (pad > 0) {
      sb.append(PAD, 0, pad);
    }
    return sb.toString();
  }

  /** Decodes a text message's header. */
  public static void decodeText(String s, Delivery out) {
    int i = 0;
    long[] v = new long[4];
    for (int f = 0; f < 4; f++) {
      long x = 0;
      boolean neg = false;
      char c = s.charAt(i);
      if (c == '-') {
        neg = true;
        i++;
      }
      while ((c = s.charAt(i++)) != ':') {
        x = x * 10 + (c - '0');
      }
      v[f] = neg ? -x : x;
    }
    out.room = (int) v[0];
    out.publisher = (int) v[1];
    out.pubSeq = v[2];
    out.stamp = v[3];
  }

  /** A mutable decode target, reused per receiving thread. */
  public static final class Delivery {
    public int room;
    public int publisher;
    public long pubSeq;
    public long stamp;
  }
}
