package io.chatmesh.spi.transport;

import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * Makes text that came from a peer (a goodbye reason, an address, a vote's detail) safe to log or
 * to show: {@link #safe} cuts it to {@link #MAX_CHARS} and escapes control and format characters
 * (so a reason cannot forge log lines or reorder a terminal); {@link Limited} logs a repeated
 * complaint about a peer once per interval. Part of the transport SPI so that transports and the engine treat peer text alike. Thread-safe.
 */
public final class PeerText {
  /** Most characters of one peer-supplied string that are kept. */
  public static final int MAX_CHARS = 200;

  private PeerText() {}

  /**
   * {@code s} with control, format and line-separator characters escaped as {@code \\uXXXX},
   * cut to {@link #MAX_CHARS} characters with a note of how many were dropped; {@code "(null)"}
   * for null.
   *
   * @param s text a peer sent, possibly null
   * @return a bounded, single-line, printable copy
   */
  public static String safe(@Nullable String s) {
    if (s == null) {
      return "(null)";
    }
    int n = Math.min(s.length(), MAX_CHARS);
    StringBuilder b = new StringBuilder(n + 16);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      int type = Character.getType(c);
      if (c == '\\') {
        b.append("\\\\");
      } else if (Character.isISOControl(c)
          || type == Character.FORMAT
          || type == Character.LINE_SEPARATOR
          || type == Character.PARAGRAPH_SEPARATOR
          || type == Character.SURROGATE) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    if (s.length() > n) {
      b.append("...(").append(s.length() - n).append(" more chars)");
    }
    return b.toString();
  }

  /**
   * Logs a WARN line per key at most once per interval, with the number of lines held back since.
   * Keys are few (a peer and a kind of complaint); past {@link #MAX_KEYS} the table starts over, so
   * a flood of distinct keys cannot grow memory. Thread-safe.
   */
  public static final class Limited {
    static final int MAX_KEYS = 4096;
    private final Logger log;
    private final long intervalNanos;
    private final ConcurrentHashMap<String, long[]> last = new ConcurrentHashMap<>();

    /**
     * Logs through {@code log}, each key at most once per {@code intervalMillis}.
     *
     * @param log where to log
     * @param intervalMillis the least time between two lines about one key
     */
    public Limited(Logger log, long intervalMillis) {
      this.log = log;
      this.intervalNanos = intervalMillis * 1_000_000L;
    }

    /**
     * Logs {@code message} (already {@link #safe safe}) at WARN unless {@code key} was logged less
     * than an interval ago.
     *
     * @param key what the complaint is about (e.g. a peer and a kind of refusal)
     * @param message the line to log
     * @return whether it was logged
     */
    public boolean warn(String key, String message) {
      if (last.size() > MAX_KEYS) {
        last.clear();
      }
      long now = System.nanoTime();
      long[] slot = last.computeIfAbsent(key, k -> new long[] {now - intervalNanos - 1, 0});
      long held;
      synchronized (slot) {
        if (now - slot[0] <= intervalNanos) {
          slot[1]++;
          return false;
        }
        held = slot[1];
        slot[0] = now;
        slot[1] = 0;
      }
      if (held > 0) {
        log.warn("{} ({} similar line(s) held back)", message, held);
      } else {
        log.warn(message);
      }
      return true;
    }
  }
}
