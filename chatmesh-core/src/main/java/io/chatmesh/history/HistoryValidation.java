package io.chatmesh.history;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.spi.history.HistoryEntry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Argument checks shared by {@link io.chatmesh.spi.history.HistoryStore} implementations, so every
 * store rejects the same input with the same message. Stateless; thread-safe. Each method throws
 * {@link ChatException} {@link ErrorCode#BAD_REQUEST} naming what was wrong.
 */
public final class HistoryValidation {
  private HistoryValidation() {}

  /**
   * Checks a room name: not null, not blank. Returns it.
   *
   * @param room the room name
   * @return {@code room}
   */
  public static String room(@Nullable String room) {
    if (room == null) {
      throw bad("room must not be null");
    }
    if (room.isBlank()) {
      throw bad("room must not be blank");
    }
    return room;
  }

  /**
   * Checks an admin node id: not null. Returns it.
   *
   * @param admin the node id
   * @return {@code admin}
   */
  public static NodeId admin(@Nullable NodeId admin) {
    if (admin == null) {
      throw bad("admin must not be null");
    }
    return admin;
  }

  /**
   * Checks an epoch: not negative. Returns it.
   *
   * @param epoch the epoch
   * @return {@code epoch}
   */
  public static long epoch(long epoch) {
    if (epoch < 0) {
      throw bad("epoch must not be negative, was " + epoch);
    }
    return epoch;
  }

  /**
   * Checks a read limit: at least 1. Returns it.
   *
   * @param limit the most entries to read
   * @return {@code limit}
   */
  public static int limit(int limit) {
    if (limit < 1) {
      throw bad("limit must be at least 1, was " + limit);
    }
    return limit;
  }

  /**
   * Checks entries for {@code append}: list and elements not null, and each room's entries in
   * strictly ascending seq (each {@link HistoryEntry} checked its own fields when it was built).
   * Returns an immutable copy.
   *
   * @param entries the entries of one {@code append}
   * @return an immutable copy of {@code entries}
   */
  public static List<HistoryEntry> entries(@Nullable List<HistoryEntry> entries) {
    if (entries == null) {
      throw bad("entries must not be null");
    }
    Map<String, Long> lastSeq = new HashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      HistoryEntry e = entries.get(i);
      if (e == null) {
        throw bad("entries[" + i + "] must not be null");
      }
      Long previous = lastSeq.put(e.room(), e.seq());
      if (previous != null && previous >= e.seq()) {
        throw bad(
            "entries of room '" + e.room() + "' must be in ascending seq order: seq " + e.seq() + " follows " + previous);
      }
    }
    return List.copyOf(entries);
  }

  private static ChatException bad(String message) {
    return new ChatException(ErrorCode.BAD_REQUEST, message);
  }
}
