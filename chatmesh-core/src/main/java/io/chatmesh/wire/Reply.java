package io.chatmesh.wire;

import io.chatmesh.ErrorCode;
import io.chatmesh.UserId;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The admin's answer to a request, matched by {@code requestId}.
 *
 * @param requestId the request's id
 * @param error null on success
 * @param message the error detail, empty on success
 * @param epoch the room's epoch
 * @param seq the sequence number assigned (send, join, leave) or the last one (info)
 * @param duplicate true when a send was a retry of an already sequenced message
 * @param members members (join, info, sync)
 */
public record Reply(
    long requestId,
    @Nullable ErrorCode error,
    String message,
    long epoch,
    long seq,
    boolean duplicate,
    List<UserId> members)
    implements WireMessage {
  /** Copies the list. */
  public Reply {
    members = List.copyOf(members);
  }

  /** A failed reply. */
  public static Reply error(long requestId, ErrorCode code, String message) {
    return new Reply(requestId, code, message, 0, 0, false, List.of());
  }
}
