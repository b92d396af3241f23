package io.chatmesh.history.jdbc;

import io.chatmesh.spi.history.HistoryEntry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Fencing at the storage, for a store shared by every node: inside the transaction that stores a
 * batch, the row of each of the batch's rooms in {@code chatmesh_room} is read with {@code SELECT
 * ... FOR UPDATE}, which locks it until the commit. {@code saveRoom} updates that row, so it waits
 * for an append holding the lock (the append commits first and the new admin reads it), and an
 * append waits for a saveRoom holding it and then reads the newly committed epoch (PostgreSQL's and
 * H2's read-committed locking reads return the latest committed row version; CockroachDB runs
 * serializable and restarts the loser with 40001). Either way, once a saveRoom of a newer epoch has
 * committed, no append of an older epoch commits.
 *
 * <p>A room with no row yet (its admin's saveRoom has not committed, or never ran) gets a
 * placeholder row (no admin, epoch {@value #NO_EPOCH}) inserted with {@code ON CONFLICT DO
 * NOTHING}, so there is always a row to lock and a concurrent first saveRoom cannot slip past; the
 * placeholder refuses nothing, is never listed by {@code rooms(admin)} and is overwritten by the
 * first saveRoom. Rows are locked in room-name order, so two writers never deadlock on each other.
 * Not thread-safe; used on the writer thread's connection only.
 */
final class RoomFence {
  /** The epoch of a placeholder row: below every real epoch (they are not negative). */
  static final long NO_EPOCH = -1;

  /** The admin column of a placeholder row: no node id is empty. */
  static final String NO_ADMIN = "";

  /** A room's row as locked: the admin and epoch its latest saveRoom recorded. */
  record Recorded(String admin, long epoch) {}

  private RoomFence() {}

  /** Locks the rows of {@code rooms} (creating placeholders where missing) and returns them by room. */
  static Map<String, Recorded> lock(Db db, Connection c, Collection<String> rooms) throws SQLException {
    Map<String, Recorded> out = new HashMap<>();
    for (String room : new TreeSet<>(rooms)) {
      Recorded r = select(db, c, room);
      if (r == null) {
        try (PreparedStatement ps = db.prepare(c, Sql.INSERT_ROOM)) {
          ps.setString(1, room);
          ps.setString(2, NO_ADMIN);
          ps.setLong(3, NO_EPOCH);
          ps.executeUpdate();
        }
        r = select(db, c, room);
        if (r == null) {
          // another transaction holds an uncommitted insert of the row that this one cannot see:
          // try the whole transaction again (the store retries 40001 with backoff)
          throw new SQLException("the row of room '" + room + "' is being created by a concurrent transaction", "40001");
        }
      }
      out.put(room, r);
    }
    return out;
  }

  private static @Nullable Recorded select(Db db, Connection c, String room) throws SQLException {
    try (PreparedStatement ps = db.prepare(c, Sql.LOCK_ROOM)) {
      ps.setString(1, room);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new Recorded(rs.getString(1), rs.getLong(2)) : null;
      }
    }
  }

  /** Why {@code e} must not be stored (its epoch is older than the recorded one), or null if it may. */
  static @Nullable String refusal(HistoryEntry e, Recorded recorded) {
    if (e.epoch() >= recorded.epoch()) {
      return null;
    }
    return "room '" + e.room() + "' refused the entry of epoch " + e.epoch() + " seq " + e.seq()
        + ": the store's recorded epoch " + recorded.epoch() + " (admin " + recorded.admin()
        + ") is newer, so this admin is stale and fenced";
  }
}
