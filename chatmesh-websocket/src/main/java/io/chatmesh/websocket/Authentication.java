package io.chatmesh.websocket;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.UserId;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Who a WebSocket connection is, as decided by an {@link Authenticator}: the user it acts as and,
 * when the credential ends (a token's {@code exp}), when. The gateway ends the connection at that
 * instant (close code 1008, {@code error} {@code UNAUTHORIZED} "token expired"). Immutable.
 *
 * @param user the authenticated user
 * @param expiresAt when the credential stops being valid, or null if it does not expire
 */
public record Authentication(UserId user, @Nullable Instant expiresAt) {

  /**
   * Checks the values.
   *
   * @param user the authenticated user
   * @param expiresAt when the credential stops being valid, or null if it does not expire
   * @throws ChatException BAD_REQUEST if {@code user} is null
   */
  public Authentication {
    if (user == null) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "an authentication needs a user");
    }
  }

  /**
   * A user whose credential does not expire.
   *
   * @param user the user
   * @return the authentication
   */
  public static Authentication of(UserId user) {
    return new Authentication(user, null);
  }
}
