package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;

import org.jspecify.annotations.Nullable;

/** Validation of identifiers and room names, one place so every entry point says the same. Internal. */
public final class Names {
  public static final int MAX_IDENTIFIER_LENGTH = 64;

  private Names() {}

  /**
   * Same as matching {@code [A-Za-z0-9._-]+}, without a regex: this runs for every user id decoded
   * on the hot path, and a {@code Matcher} per call was ~9 % of the bytes allocated in the
   * benchmark (see BENCHMARKS.md).
   */
  static boolean isIdentifier(String value) {
    int n = value.length();
    if (n == 0) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  public static String checkIdentifier(String what, @Nullable String value) {
    if (value == null) {
      throw new ChatException(ErrorCode.BAD_REQUEST, what + " must not be null");
    }
    if (value.isBlank()) {
      throw new ChatException(ErrorCode.BAD_REQUEST, what + " must not be blank");
    }
    if (value.length() > MAX_IDENTIFIER_LENGTH) {
      throw new ChatException(
          ErrorCode.BAD_REQUEST,
          what + " is " + value.length() + " characters long; at most " + MAX_IDENTIFIER_LENGTH + " are allowed");
    }
    if (!isIdentifier(value)) {
      throw new ChatException(
          ErrorCode.BAD_REQUEST, what + " '" + value + "' may only contain letters, digits, '.', '_' and '-'");
    }
    return value;
  }
}
