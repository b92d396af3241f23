package io.chatmesh.examples;

import java.util.Locale;

/**
 * Makes text from the network safe to print on a terminal: control characters (C0 but tab, DEL,
 * C1), Unicode format characters (bidirectional overrides and isolates, zero-width characters) and
 * unpaired surrogates are shown as {@code <U+XXXX>} instead of being interpreted, so a message can
 * neither retitle the terminal (ESC sequences), move the cursor, reorder the line (U+202E) nor
 * forge a chat line: a line feed in a multi-line message continues on an indented line, which no
 * real chat line starts with. Stateless; thread-safe.
 */
final class TerminalText {
  /** What continues a line broken by a line feed inside a message. */
  static final String CONTINUATION = "\n      | ";

  private TerminalText() {}

  static String escape(String s) {
    StringBuilder out = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      String replacement = null;
      if (c == '\n') {
        replacement = CONTINUATION;
      } else if (unsafe(s, i)) {
        replacement = String.format(Locale.ROOT, "<U+%04X>", (int) c);
      }
      if (replacement != null && out == null) {
        out = new StringBuilder(s.length() + 16).append(s, 0, i);
      }
      if (out != null) {
        out.append(replacement != null ? replacement : String.valueOf(c));
      }
    }
    return out == null ? s : out.toString();
  }

  private static boolean unsafe(String s, int i) {
    char c = s.charAt(i);
    if (c == '\t') {
      return false;
    }
    if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
      return true;
    }
    if (Character.isHighSurrogate(c)) {
      return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
    }
    if (Character.isLowSurrogate(c)) {
      return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
    }
    return false;
  }
}
