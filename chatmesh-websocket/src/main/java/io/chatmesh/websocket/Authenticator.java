package io.chatmesh.websocket;

import io.chatmesh.UserId;
import org.jspecify.annotations.Nullable;

/**
 * Decides whether a WebSocket client may act as the user it names in its {@code hello} frame. A
 * refusal is answered with an {@code error} frame {@code UNAUTHORIZED} and the connection is closed
 * with code 1008. Called on a Netty I/O thread: implementations must be thread-safe and must not
 * block (check a signed token locally rather than calling a remote service). An exception thrown
 * counts as a refusal and is logged.
 */
@FunctionalInterface
public interface Authenticator {

  /** Accepts every user, with or without a token (the default until authentication lands). */
  Authenticator ALLOW_ALL = (user, token) -> true;

  /**
   * @param user the user named in {@code hello}, already validated as a {@link UserId}
   * @param token the {@code token} field of {@code hello}, or null if absent
   * @return true to accept the connection as {@code user}
   */
  boolean authenticate(UserId user, @Nullable String token);
}
