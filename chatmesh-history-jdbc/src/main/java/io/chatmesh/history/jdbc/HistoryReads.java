package io.chatmesh.history.jdbc;

import io.chatmesh.UserId;
import io.chatmesh.spi.history.HistoryEntry;
import io.chatmesh.spi.history.HistoryStore.Position;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The store's reads of a room's log in {@code chatmesh_event}: pages after or before a seq, the last
 * position and the oldest seq. Each runs in auto-commit on a pooled connection of the caller's
 * thread. The store validates the arguments and checks that it is open before calling. Thread-safe.
 */
final class HistoryReads {
  private final Db db;

  HistoryReads(Db db) {
    this.db = db;
  }

  /** Up to {@code limit} entries after {@code afterSeq}, oldest first. */
  List<HistoryEntry> after(String room, long afterSeq, int limit) {
    return read("reading history of '" + room + "'", Sql.READ_AFTER, room, afterSeq, limit);
  }

  /** Up to {@code limit} entries before {@code beforeSeq}, the newest of them, oldest first. */
  List<HistoryEntry> before(String room, long beforeSeq, int limit) {
    List<HistoryEntry> newestFirst = new ArrayList<>(read("reading history of '" + room + "'", Sql.READ_BEFORE, room, beforeSeq, limit));
    Collections.reverse(newestFirst);
    return List.copyOf(newestFirst);
  }

  private List<HistoryEntry> read(String what, String sql, String room, long seq, int limit) {
    return db.autoCommit(
        what,
        c -> {
          List<HistoryEntry> out = new ArrayList<>(Math.min(limit, 1024));
          try (PreparedStatement ps = db.prepare(c, sql)) {
            ps.setString(1, room);
            ps.setLong(2, seq);
            ps.setInt(3, limit);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(row(rs));
              }
            }
          }
          return List.copyOf(out);
        });
  }

  private static HistoryEntry row(ResultSet rs) throws SQLException {
    HistoryEntry.Kind k = KindColumn.fromColumn(rs.getString(4));
    return new HistoryEntry(
        rs.getString(1),
        rs.getLong(2),
        rs.getLong(3),
        k,
        UserId.of(rs.getString(5)),
        rs.getString(6),
        rs.getString(7),
        rs.getLong(8));
  }

  /** The room's newest position (epoch, seq), if it has any entry. */
  Optional<Position> lastPosition(String room) {
    return db.autoCommit(
        "reading the last position of '" + room + "'",
        c -> {
          try (PreparedStatement ps = db.prepare(c, Sql.LAST_POSITION)) {
            ps.setString(1, room);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(new Position(rs.getLong(1), rs.getLong(2))) : Optional.<Position>empty();
            }
          }
        });
  }

  /** The room's first stored seq, 0 when it has none. */
  long oldestSeq(String room) {
    return db.autoCommit(
        "reading the oldest seq of '" + room + "'",
        c -> {
          try (PreparedStatement ps = db.prepare(c, Sql.OLDEST_SEQ)) {
            ps.setString(1, room);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? rs.getLong(1) : 0L; // MIN of no rows is NULL, read as 0
            }
          }
        });
  }
}
