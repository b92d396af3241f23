package io.chatmesh.history.jdbc;

import io.chatmesh.NodeId;
import io.chatmesh.spi.history.HistoryStore.StoredRoom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A room's row in {@code chatmesh_room} (its admin and epoch, which a shared store's appends are
 * fenced against: {@link RoomFence}) and the whole-room changes of the log: record, list, delete,
 * truncate. The store validates the arguments and checks that it is open before calling; the caller
 * decides whether truncation is allowed. Thread-safe (each call takes its own connection).
 */
final class RoomRows {
  private final Db db;

  RoomRows(Db db) {
    this.db = db;
  }

  /** Records admin and epoch; a row with a newer epoch is left as it is (newest epoch wins). */
  void save(String room, NodeId admin, long epoch) {
    db.inTransaction(
        "saving room '" + room + "'",
        c -> {
          if (update(c, room, admin, epoch) > 0) {
            return null;
          }
          try (PreparedStatement ps = db.prepare(c, Sql.INSERT_ROOM)) {
            ps.setString(1, room);
            ps.setString(2, admin.value());
            ps.setLong(3, epoch);
            if (ps.executeUpdate() > 0) {
              return null;
            }
          }
          update(c, room, admin, epoch); // inserted meanwhile by someone else: newest epoch wins
          return null;
        });
  }

  private int update(Connection c, String room, NodeId admin, long epoch) throws SQLException {
    try (PreparedStatement ps = db.prepare(c, Sql.UPDATE_ROOM)) {
      ps.setString(1, admin.value());
      ps.setLong(2, epoch);
      ps.setString(3, room);
      ps.setLong(4, epoch);
      return ps.executeUpdate();
    }
  }

  /** The rooms recorded with {@code admin}, sorted by name. */
  List<StoredRoom> of(NodeId admin) {
    List<StoredRoom> rooms =
        db.autoCommit(
            "listing rooms of " + admin,
            c -> {
              List<StoredRoom> out = new ArrayList<>();
              try (PreparedStatement ps = db.prepare(c, Sql.SELECT_ROOMS)) {
                ps.setString(1, admin.value());
                try (ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) {
                    out.add(new StoredRoom(rs.getString(1), NodeId.of(rs.getString(2)), rs.getLong(3)));
                  }
                }
              }
              return out;
            });
    // sorted here, not by the database, so the order never depends on a collation
    rooms.sort(Comparator.comparing(StoredRoom::room));
    return List.copyOf(rooms);
  }

  /** Deletes the room's row and its events in one transaction. */
  void delete(String room) {
    db.inTransaction(
        "deleting room '" + room + "'",
        c -> {
          // the room's row first: appends of a shared store lock it before the events (RoomFence),
          // so both take their locks in the same order
          for (String sql : List.of(Sql.DELETE_ROOM, Sql.DELETE_EVENTS)) {
            try (PreparedStatement ps = db.prepare(c, sql)) {
              ps.setString(1, room);
              ps.executeUpdate();
            }
          }
          return null;
        });
  }

  /** Removes the room's events after {@code seq}. */
  void truncateAfter(String room, long seq) {
    db.inTransaction(
        "truncating room '" + room + "' after seq " + seq,
        c -> {
          try (PreparedStatement ps = db.prepare(c, Sql.TRUNCATE_EVENTS)) {
            ps.setString(1, room);
            ps.setLong(2, seq);
            ps.executeUpdate();
          }
          return null;
        });
  }
}
