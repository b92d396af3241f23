package io.chatmesh.lease.jdbc;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.spi.lease.Lease;
import io.chatmesh.spi.lease.LeaseChecks;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The lease table and its statements. Every statement is plain SQL that runs unchanged on H2,
 * PostgreSQL and CockroachDB: no upsert (a missing row is inserted, and a concurrent insert of the
 * same room fails with a unique violation that the caller retries), and time is the database's
 * {@code CURRENT_TIMESTAMP} turned into epoch milliseconds, so the nodes' clocks never decide
 * whether a lease has lapsed.
 *
 * <p>One row per room: {@code holder} (null when released), {@code epoch} (the newest ever granted;
 * the row is never deleted, so epochs never repeat), {@code expires_ms}, {@code ttl_ms} and {@code
 * retired} (true once the room was deleted, until a creation's acquire; added to tables made by
 * earlier versions with {@code ALTER TABLE ... ADD COLUMN IF NOT EXISTS}).
 * Stateless apart from the table name; thread-safe.
 */
final class LeaseTable {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
  /** The database's time in epoch milliseconds (transaction time on PostgreSQL and H2). */
  static final String NOW = "CAST(FLOOR(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP) * 1000) AS BIGINT)";

  private final String table;
  private final int queryTimeoutSeconds;

  LeaseTable(String table, Duration requestTimeout) {
    if (!NAME.matcher(table).matches()) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "lease table name '" + table + "' must match " + NAME.pattern());
    }
    this.table = table.toLowerCase(Locale.ROOT);
    this.queryTimeoutSeconds = (int) Math.max(1, (requestTimeout.toMillis() + 999) / 1000);
  }

  String name() {
    return table;
  }

  void create(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.setQueryTimeout(queryTimeoutSeconds);
      s.execute("CREATE TABLE IF NOT EXISTS " + table + " (room VARCHAR(64) PRIMARY KEY, holder VARCHAR(64),"
          + " epoch BIGINT NOT NULL, expires_ms BIGINT NOT NULL, ttl_ms BIGINT NOT NULL, retired BOOLEAN DEFAULT FALSE NOT NULL)");
      // a table of an earlier version has no retired column yet
      s.execute("ALTER TABLE " + table + " ADD COLUMN IF NOT EXISTS retired BOOLEAN DEFAULT FALSE NOT NULL");
    }
  }

  /** A row as read, with the database's time of the read. */
  record Row(String room, @Nullable String holder, long epoch, long expiresMs, long ttlMs, boolean retired, long nowMs) {
    boolean live() {
      return holder != null && expiresMs > nowMs;
    }

    /** The lease, with its expiry moved onto the reader's clock. */
    @Nullable Lease lease(long localNow) {
      return live()
          ? new Lease(room, NodeId.of(holder), epoch, Duration.ofMillis(Math.max(1, ttlMs)), localNow + (expiresMs - nowMs))
          : null;
    }
  }

  /** Reads a room's row, locking it for this transaction when {@code lock}. */
  @Nullable Row read(Connection c, String room, boolean lock) throws SQLException {
    String sql = "SELECT holder, epoch, expires_ms, ttl_ms, retired, " + NOW + " FROM " + table + " WHERE room = ?"
        + (lock ? " FOR UPDATE" : "");
    try (PreparedStatement p = prepare(c, sql)) {
      p.setString(1, room);
      try (ResultSet r = p.executeQuery()) {
        return r.next()
            ? new Row(room, r.getString(1), r.getLong(2), r.getLong(3), r.getLong(4), r.getBoolean(5), r.getLong(6))
            : null;
      }
    }
  }

  /**
   * The compare-and-set of an acquire, inside the caller's transaction: locks the room's row, and
   * grants the next epoch if nobody holds a live lease. A creation's acquire clears the retired
   * mark; a takeover's refuses a retired room.
   *
   * @return the granted epoch
   * @throws ChatException {@link ErrorCode#NOT_ADMIN} naming the holder when the lease is held,
   *     {@link ErrorCode#UNKNOWN_ROOM} for a takeover of a retired room
   */
  long acquire(Connection c, String room, NodeId node, Duration ttl, long localNow, boolean takeover) throws SQLException {
    Row row = read(c, room, true);
    if (takeover && row != null && row.retired()) {
      throw LeaseChecks.retired(room);
    }
    if (row == null) {
      try (PreparedStatement p = prepare(c, "INSERT INTO " + table
          + " (room, holder, epoch, expires_ms, ttl_ms) VALUES (?, ?, 1, " + NOW + " + ?, ?)")) {
        p.setString(1, room);
        p.setString(2, node.value());
        p.setLong(3, ttl.toMillis());
        p.setLong(4, ttl.toMillis());
        p.executeUpdate();
      }
      return 1;
    }
    Lease held = row.lease(localNow);
    if (held != null) {
      throw LeaseChecks.held(held);
    }
    try (PreparedStatement p = prepare(c, "UPDATE " + table + " SET holder = ?, epoch = ?, expires_ms = " + NOW
        + " + ?, ttl_ms = ?, retired = FALSE WHERE room = ? AND epoch = ?")) {
      p.setString(1, node.value());
      p.setLong(2, row.epoch() + 1);
      p.setLong(3, ttl.toMillis());
      p.setLong(4, ttl.toMillis());
      p.setString(5, room);
      p.setLong(6, row.epoch());
      if (p.executeUpdate() != 1) {
        throw new SQLException("lease row of room '" + room + "' changed under a lock", "40001");
      }
    }
    return row.epoch() + 1;
  }

  /** Extends a live lease held by {@code lease.holder()} at {@code lease.epoch()}; one statement. */
  boolean renew(Connection c, Lease lease) throws SQLException {
    try (PreparedStatement p = prepare(c, "UPDATE " + table + " SET expires_ms = " + NOW + " + ?, ttl_ms = ?"
        + " WHERE room = ? AND holder = ? AND epoch = ? AND expires_ms > " + NOW)) {
      p.setLong(1, lease.ttl().toMillis());
      p.setLong(2, lease.ttl().toMillis());
      p.setString(3, lease.room());
      p.setString(4, lease.holder().value());
      p.setLong(5, lease.epoch());
      return p.executeUpdate() == 1;
    }
  }

  /** Frees the lease if {@code lease} is still the room's lease; keeps the epoch. */
  void release(Connection c, Lease lease) throws SQLException {
    try (PreparedStatement p = prepare(c, "UPDATE " + table + " SET holder = NULL, expires_ms = 0"
        + " WHERE room = ? AND holder = ? AND epoch = ?")) {
      p.setString(1, lease.room());
      p.setString(2, lease.holder().value());
      p.setLong(3, lease.epoch());
      p.executeUpdate();
    }
  }

  /**
   * Releases {@code lease} and marks the room retired, in one statement, only if it is still the
   * room's live lease.
   *
   * @return whether it was (false: nothing changed)
   */
  boolean retire(Connection c, Lease lease) throws SQLException {
    try (PreparedStatement p = prepare(c, "UPDATE " + table + " SET holder = NULL, expires_ms = 0, retired = TRUE"
        + " WHERE room = ? AND holder = ? AND epoch = ? AND expires_ms > " + NOW)) {
      p.setString(1, lease.room());
      p.setString(2, lease.holder().value());
      p.setLong(3, lease.epoch());
      return p.executeUpdate() == 1;
    }
  }

  /** Whether the room is retired (false for a room without a row). */
  boolean retired(Connection c, String room) throws SQLException {
    Row row = read(c, room, false);
    return row != null && row.retired();
  }

  /** The room's lease now, or empty. */
  Optional<Lease> current(Connection c, String room, long localNow) throws SQLException {
    Row row = read(c, room, false);
    return Optional.ofNullable(row == null ? null : row.lease(localNow));
  }

  /**
   * The fencing check: locks the room's row (so no new epoch can be granted until the caller's
   * transaction ends) and fails unless {@code epoch} is the newest.
   */
  void fence(Connection c, String room, long epoch, boolean lock) throws SQLException {
    Row row = read(c, room, lock);
    long newest = row == null ? 0 : row.epoch();
    if (newest == 0 || epoch != newest) {
      throw LeaseChecks.stale(room, epoch, newest);
    }
  }

  private PreparedStatement prepare(Connection c, String sql) throws SQLException {
    PreparedStatement p = c.prepareStatement(sql);
    p.setQueryTimeout(queryTimeoutSeconds);
    return p;
  }
}
