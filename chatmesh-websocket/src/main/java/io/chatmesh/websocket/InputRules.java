package io.chatmesh.websocket;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.util.Locale;

/**
 * What the gateway accepts in the strings and numbers of a request, checked before anything is
 * done with them. Texts and client ids may not hold characters that let one user forge what
 * another user's screen shows: C0 controls except line feed and tab (so no NUL, ESC, CR), DEL, C1
 * controls, and the Unicode bidirectional overrides, embeddings and isolates (U+202A..U+202E,
 * U+2066..U+2069). A line feed is allowed in a text (multi-line messages); clients must show it as
 * a line break inside the message, never as the start of a new chat line. Names (users, rooms)
 * are identifiers and are checked by {@link io.chatmesh.Identifiers}.
 *
 * <p>Sequence numbers and epochs a client sends are at most {@link #MAX_SEQ} (2^53 - 1, the largest
 * integer a JavaScript client can hold exactly), so no arithmetic on them can overflow.
 *
 * <p>Stateless; thread-safe.
 */
final class InputRules {
  /** The largest seq or epoch a request may carry: 2^53 - 1. */
  static final long MAX_SEQ = (1L << 53) - 1;

  private InputRules() {}

  /**
   * Checks a text (or client id) for forbidden characters.
   *
   * @throws ChatException BAD_REQUEST naming the field, the character (U+XXXX) and its index
   */
  static String checkText(String field, String value) {
    int bad = firstForbidden(value);
    if (bad >= 0) {
      throw new ChatException(
          ErrorCode.BAD_REQUEST,
          "field '" + field + "' contains the control character " + describe(value.charAt(bad)) + " at index " + bad
              + "; control characters other than line feed and tab, and bidirectional overrides, are not allowed");
    }
    return value;
  }

  /** The index of the first forbidden character, or -1. */
  static int firstForbidden(String value) {
    for (int i = 0; i < value.length(); i++) {
      if (forbidden(value.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  static boolean forbidden(char c) {
    if (c < 0x20) {
      return c != '\n' && c != '\t';
    }
    return (c >= 0x7f && c <= 0x9f) || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069');
  }

  static String describe(char c) {
    return String.format(Locale.ROOT, "U+%04X", (int) c);
  }

  /**
   * Checks a seq or epoch from a request.
   *
   * @throws ChatException BAD_REQUEST unless {@code min <= value <= MAX_SEQ}
   */
  static long checkSeq(String field, long value, long min) {
    if (value < min || value > MAX_SEQ) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "field '" + field + "' must be " + min + ".." + MAX_SEQ + ", was " + value);
    }
    return value;
  }
}
