package io.chatmesh.spi.history;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.UserId;
import org.jspecify.annotations.Nullable;

/**
 * One entry of a room's log as a {@link HistoryStore} keeps it. This is the storage model, apart
 * from the messages nodes exchange: a store persists {@link Kind#code()} (or a mapping of its own
 * that never changes), so a stored log keeps its meaning when the wire protocol evolves.
 *
 * <p>Immutable value; thread-safe.
 *
 * @param room the room, not blank
 * @param epoch the admin epoch that assigned the entry, not negative
 * @param seq the entry's position in the room's log, starting at 1
 * @param kind what happened
 * @param user who did it
 * @param text the text of a {@link Kind#MESSAGE}, empty for the other kinds
 * @param clientMessageId the sender's deduplication id of a message, or null
 * @param timestamp the admin's clock, in milliseconds since the epoch, when the entry was sequenced
 */
public record HistoryEntry(
    String room,
    long epoch,
    long seq,
    Kind kind,
    UserId user,
    String text,
    @Nullable String clientMessageId,
    long timestamp) {

  /**
   * Checks the fields.
   *
   * @throws ChatException {@link ErrorCode#BAD_REQUEST} if {@code room}, {@code kind}, {@code user}
   *     or {@code text} is null, the room is blank, {@code seq} is below 1 or {@code epoch} is
   *     negative
   * @param room the room, not blank
   * @param epoch the admin epoch that assigned the entry, not negative
   * @param seq the entry's position in the room's log, starting at 1
   * @param kind what happened
   * @param user who did it
   * @param text the text of a {@link Kind#MESSAGE}, empty for the other kinds
   * @param clientMessageId the sender's deduplication id of a message, or null
   * @param timestamp the admin's clock, in milliseconds since the epoch, when the entry was
   *     sequenced
   */
  public HistoryEntry {
    if (room == null) {
      throw bad("room must not be null");
    }
    if (room.isBlank()) {
      throw bad("room must not be blank");
    }
    if (seq < 1) {
      throw bad("history entry of room '" + room + "' has seq " + seq + "; seq starts at 1");
    }
    if (epoch < 0) {
      throw bad("history entry of room '" + room + "' has negative epoch " + epoch);
    }
    if (kind == null || user == null || text == null) {
      throw bad("history entry of room '" + room + "' seq " + seq + " has a null kind, user or text");
    }
  }

  private static ChatException bad(String message) {
    return new ChatException(ErrorCode.BAD_REQUEST, message);
  }

  /**
   * What a log entry records. Each kind has a {@link #code() storage code} that never changes and
   * is never reused, whatever the constant is called; stores persist that code, not {@link
   * #name()}.
   */
  public enum Kind {
    /** A chat message; storage code 1. */
    MESSAGE(1),
    /** A user joined the room; storage code 2. */
    JOINED(2),
    /** A user left the room on request; storage code 3. */
    LEFT(3),
    /** A user was removed because its node was declared dead; storage code 4. */
    NODE_FAILED(4),
    /** The room's owner and visibility (user = owner, text "private" or "public"); storage code 5. */
    SETTINGS(5),
    /** The owner invited a user (user = the invitee); storage code 6. */
    INVITED(6),
    /** The owner withdrew an invitation (user = the former invitee); storage code 7. */
    UNINVITED(7);

    private static final Kind[] BY_CODE = byCode();

    private final int code;

    Kind(int code) {
      this.code = code;
    }

    /**
     * The stable storage code of this kind.
     *
     * @return a positive number, unique among the kinds, that never changes
     */
    public int code() {
      return code;
    }

    /**
     * The kind with that storage code.
     *
     * @param code a code returned by {@link #code()}
     * @return the kind
     * @throws ChatException {@link ErrorCode#INTERNAL} for a code no kind has (an entry written by
     *     a newer chatmesh, or a damaged store)
     */
    public static Kind fromCode(int code) {
      @Nullable Kind k = code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
      if (k == null) {
        throw new ChatException(
            ErrorCode.INTERNAL, "stored history entry has unknown kind code " + code + " (written by a newer chatmesh?)");
      }
      return k;
    }

    private static Kind[] byCode() {
      int max = 0;
      for (Kind k : values()) {
        max = Math.max(max, k.code);
      }
      Kind[] out = new Kind[max + 1];
      for (Kind k : values()) {
        out[k.code] = k;
      }
      return out;
    }
  }
}
