package io.chatmesh;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The one exception type of the chatmesh API: an {@link ErrorCode} and a message naming what was
 * wrong. Asynchronous operations complete their futures exceptionally with it. Immutable;
 * thread-safe.
 */
public final class ChatException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  /** What kind of failure this is. */
  private final ErrorCode code;

  /**
   * Creates an exception with a code and a human-readable message.
   *
   * @param code what kind of failure
   * @param message what was wrong, for people
   */
  public ChatException(ErrorCode code, String message) {
    this(code, message, null);
  }

  /**
   * Creates an exception with a code, a message and the underlying cause.
   *
   * @param code what kind of failure
   * @param message what was wrong, for people
   * @param cause the underlying failure, or null
   */
  public ChatException(ErrorCode code, String message, @Nullable Throwable cause) {
    super(code + ": " + message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  /**
   * The machine-readable code.
   *
   * @return the code
   */
  public ErrorCode code() {
    return code;
  }

  /**
   * The message without the code prefix.
   *
   * @return the message as given to the constructor
   */
  public String detail() {
    String m = String.valueOf(getMessage());
    String prefix = code + ": ";
    return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
  }

  /**
   * Unwraps {@code CompletionException}/{@code ExecutionException} chains and returns the
   * {@link ChatException} inside, or wraps anything else as {@link ErrorCode#INTERNAL}.
   *
   * @param t a failure, typically from a future
   * @return the ChatException inside {@code t}, or {@code t} wrapped as INTERNAL
   */
  public static ChatException from(Throwable t) {
    Throwable c = t;
    while (c != null) {
      if (c instanceof ChatException ce) {
        return ce;
      }
      c = c.getCause();
    }
    return new ChatException(ErrorCode.INTERNAL, String.valueOf(t), t);
  }
}
