package io.chatmesh.history.jdbc;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.spi.history.HistoryEntry;

/**
 * The {@code chatmesh_event.kind} column: a fixed text per {@link HistoryEntry.Kind}. These are the
 * texts schema version 1 has stored since the first release (they were the names of the wire's
 * event kinds then); they are written out here, never derived from an enum's {@code name()}, so
 * renaming a constant anywhere cannot change what a stored row means. Never change or reuse one;
 * a new kind gets a new text. Stateless; thread-safe.
 */
final class KindColumn {
  private KindColumn() {}

  static String toColumn(HistoryEntry.Kind kind) {
    return switch (kind) {
      case MESSAGE -> "MESSAGE";
      case JOINED -> "JOINED";
      case LEFT -> "LEFT";
      case NODE_FAILED -> "NODE_FAILED";
      case SETTINGS -> "SETTINGS";
      case INVITED -> "INVITED";
      case UNINVITED -> "UNINVITED";
    };
  }

  /**
   * The kind a stored text means.
   *
   * @throws ChatException INTERNAL for a text this version does not know (a newer writer, or a
   *     damaged row)
   */
  static HistoryEntry.Kind fromColumn(String text) {
    return switch (text) {
      case "MESSAGE" -> HistoryEntry.Kind.MESSAGE;
      case "JOINED" -> HistoryEntry.Kind.JOINED;
      case "LEFT" -> HistoryEntry.Kind.LEFT;
      case "NODE_FAILED" -> HistoryEntry.Kind.NODE_FAILED;
      case "SETTINGS" -> HistoryEntry.Kind.SETTINGS;
      case "INVITED" -> HistoryEntry.Kind.INVITED;
      case "UNINVITED" -> HistoryEntry.Kind.UNINVITED;
      default -> throw new ChatException(
          ErrorCode.INTERNAL, "stored history entry has unknown kind '" + text + "' (written by a newer chatmesh?)");
    };
  }
}
