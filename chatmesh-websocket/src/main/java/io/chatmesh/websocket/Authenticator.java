package io.chatmesh.websocket;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.UserId;
import java.util.function.BiPredicate;
import org.jspecify.annotations.Nullable;

/**
 * Decides who a WebSocket client is from its {@code hello} frame: the {@code user} it names (if any)
 * and its {@code token} (if any). A refusal is answered with an {@code error} frame {@code
 * UNAUTHORIZED} carrying the refusal's message and the connection is closed with code 1008. Called
 * on a Netty I/O thread: implementations must be thread-safe and must not block (check a signed
 * token locally, as {@link JwtAuthenticator} does, rather than calling a remote service). An
 * exception other than {@link ChatException} counts as a refusal and is logged.
 *
 * <p>Built in: {@link #ALLOW_ALL} (open: anyone may connect as any name; the gateway logs {@code
 * INSECURE: open authentication} at WARN when it starts with it) and {@link JwtAuthenticator}.
 */
@FunctionalInterface
public interface Authenticator {

  /**
   * Open authentication: accepts every user, with or without a token, as the name it gives (the
   * default). Anyone can then act as anyone: for development and trusted networks only.
   */
  Authenticator ALLOW_ALL = (requested, token) -> {
    if (requested == null) {
      throw new ChatException(ErrorCode.UNAUTHORIZED, "field 'user' is required in hello");
    }
    return Authentication.of(requested);
  };

  /**
   * Decides who the client is.
   *
   * @param requested the user named in {@code hello} (already validated as a {@link UserId}), or
   *     null if it named none (allowed when the token names the user)
   * @param token the {@code token} field of {@code hello}, or null if absent
   * @return the user the connection acts as and when that ends
   * @throws ChatException UNAUTHORIZED with a message saying why (e.g. "token expired"), shown to
   *     the client
   */
  Authentication authenticate(@Nullable UserId requested, @Nullable String token);

  /**
   * Adapts a yes/no check (the form of this interface before it returned the user): the client
   * must name its user, the check decides, and the authentication never expires.
   *
   * @param check returns true to accept {@code user} with {@code token} (token may be null)
   * @return an authenticator
   */
  static Authenticator ofPredicate(BiPredicate<UserId, @Nullable String> check) {
    return (requested, token) -> {
      if (requested == null) {
        throw new ChatException(ErrorCode.UNAUTHORIZED, "field 'user' is required in hello");
      }
      if (!check.test(requested, token)) {
        throw new ChatException(ErrorCode.UNAUTHORIZED, "user '" + requested + "' is not allowed to connect");
      }
      return Authentication.of(requested);
    };
  }
}
