package io.chatmesh.lease.jdbc;

import java.sql.SQLException;
import java.util.Set;

/** SQLSTATE handling shared by the lease statements. Stateless. */
final class Sql {
  /**
   * Conflicts with a concurrent transaction, worth retrying whole: unique violation (two first
   * acquires of a room), serialization failure (CockroachDB, PostgreSQL), deadlock, and H2's
   * concurrent-update and lock-timeout codes.
   */
  private static final Set<String> RETRYABLE = Set.of("23505", "40001", "40P01", "90131", "HYT00");

  private Sql() {}

  static boolean retryable(SQLException e) {
    for (SQLException s = e; s != null; s = s.getNextException()) {
      if (s.getSQLState() != null && RETRYABLE.contains(s.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  /** SQLSTATE and message, without the URL (which may carry a password). */
  static String describe(SQLException e) {
    return "SQLSTATE " + e.getSQLState() + ": " + e.getMessage();
  }
}
