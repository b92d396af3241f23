package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;

import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Validation of identifiers and room names, one place so every entry point says the same. Internal. */
public final class Names {
  public static final int MAX_IDENTIFIER_LENGTH = 64;
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z0-9._-]+");

  private Names() {}

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
    if (!IDENTIFIER.matcher(value).matches()) {
      throw new ChatException(
          ErrorCode.BAD_REQUEST, what + " '" + value + "' may only contain letters, digits, '.', '_' and '-'");
    }
    return value;
  }
}
