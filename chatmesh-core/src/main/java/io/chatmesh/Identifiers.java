package io.chatmesh;

import org.jspecify.annotations.Nullable;

/**
 * The rule every identifier in chatmesh follows: {@link NodeId node ids}, {@link UserId user ids}
 * and room names are 1 to {@value #MAX_LENGTH} characters from {@code [A-Za-z0-9._-]}, not made only
 * of dots (so {@code .} and {@code ..} can never be mistaken for paths). One place, so
 * every entry point accepts and rejects the same input with the same message; applications may use
 * it to check input before they call chatmesh.
 *
 * <p>Stateless; thread-safe.
 */
public final class Identifiers {
  /** The longest identifier, in characters. */
  public static final int MAX_LENGTH = 64;

  private Identifiers() {}

  /**
   * Whether {@code value} matches {@code [A-Za-z0-9._-]+} (length is not checked). Written without a
   * regex: this runs for every user id decoded on the hot path, and a {@code Matcher} per call was
   * ~9 % of the bytes allocated in the benchmark (see BENCHMARKS.md).
   *
   * @param value the text to check
   * @return true if it is not empty, has only allowed characters and not only dots
   */
  public static boolean isIdentifier(String value) {
    int n = value.length();
    if (n == 0) {
      return false;
    }
    boolean onlyDots = true;
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      onlyDots &= c == '.';
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return !onlyDots;
  }

  /**
   * Checks an identifier.
   *
   * @param what what the value is, for the message (e.g. {@code "room name"})
   * @param value the value to check
   * @return {@code value}
   * @throws ChatException {@link ErrorCode#BAD_REQUEST} naming {@code what} if the value is null,
   *     blank, longer than {@value #MAX_LENGTH} characters, has other characters than {@code
   *     [A-Za-z0-9._-]} or only dots
   */
  public static String check(String what, @Nullable String value) {
    if (value == null) {
      throw new ChatException(ErrorCode.BAD_REQUEST, what + " must not be null");
    }
    if (value.isBlank()) {
      throw new ChatException(ErrorCode.BAD_REQUEST, what + " must not be blank");
    }
    if (value.length() > MAX_LENGTH) {
      throw new ChatException(
          ErrorCode.BAD_REQUEST,
          what + " is " + value.length() + " characters long; at most " + MAX_LENGTH + " are allowed");
    }
    if (value.chars().allMatch(c -> c == '.')) {
      throw new ChatException(ErrorCode.BAD_REQUEST, what + " '" + value + "' must not be made only of dots");
    }
    if (!isIdentifier(value)) {
      throw new ChatException(
          ErrorCode.BAD_REQUEST, what + " '" + value + "' may only contain letters, digits, '.', '_' and '-'");
    }
    return value;
  }
}
