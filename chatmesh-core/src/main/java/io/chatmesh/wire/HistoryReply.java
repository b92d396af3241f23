package io.chatmesh.wire;

import io.chatmesh.ErrorCode;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The admin's answer to a {@link HistoryRequest}, matched by {@code requestId}.
 *
 * @param requestId the request's id
 * @param error null on success (e.g. UNKNOWN_ROOM, UNAVAILABLE when the store cannot be read)
 * @param message the error detail, empty on success
 * @param epoch the room's current epoch
 * @param lastSeq the newest durable seq of the room when the request was served
 * @param oldestSeq the oldest seq still stored (0 if none); entries before it were trimmed
 * @param entries the entries found, ascending by seq
 */
public record HistoryReply(
    long requestId,
    @Nullable ErrorCode error,
    String message,
    long epoch,
    long lastSeq,
    long oldestSeq,
    List<Sequenced> entries)
    implements WireMessage {
  /** Copies the list. */
  public HistoryReply {
    entries = List.copyOf(entries);
  }

  /** A failed reply. */
  public static HistoryReply error(long requestId, ErrorCode code, String message) {
    return new HistoryReply(requestId, code, message, 0, 0, 0, List.of());
  }
}
