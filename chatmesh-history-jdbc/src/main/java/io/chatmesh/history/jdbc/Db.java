package io.chatmesh.history.jdbc;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs units of work on a connection from the pool, in a transaction or not, and retries the whole
 * unit with exponential backoff (with jitter) when the database says it may succeed if tried again:
 * SQLSTATE {@code 40001} (serialization failure; CockroachDB's "restart transaction"), {@code
 * 40P01} (deadlock), {@code 40003} (statement completion unknown), connection failures ({@code
 * 08xxx}) and lock waits that timed out (H2's {@code HYT00}, PostgreSQL's {@code 55P03}: a shared
 * store's append waits for the room row a concurrent saveRoom holds, see {@link RoomFence}). Every unit must be idempotent, which ours are (inserts are ON CONFLICT DO NOTHING).
 * Thread-safe.
 */
final class Db {
  private static final Logger log = LoggerFactory.getLogger(Db.class);

  /** A unit of work; may run more than once. */
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private final DataSource dataSource;
  private final Dialect dialect;
  private final String displayUrl;
  private final int queryTimeoutSeconds;
  private final int maxRetries;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  final AtomicLong retries = new AtomicLong();

  Db(
      DataSource dataSource,
      Dialect dialect,
      String displayUrl,
      Duration statementTimeout,
      int maxRetries,
      Duration initialBackoff,
      Duration maxBackoff) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.displayUrl = displayUrl;
    this.queryTimeoutSeconds = (int) Math.max(1, (statementTimeout.toMillis() + 999) / 1000);
    this.maxRetries = maxRetries;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
  }

  Dialect dialect() {
    return dialect;
  }

  String displayUrl() {
    return displayUrl;
  }

  /** Runs {@code work} in one transaction, retrying retryable failures. */
  <T> T inTransaction(String what, Work<T> work) {
    return run(what, true, work);
  }

  /** Runs {@code work} in auto-commit mode, retrying retryable failures. */
  <T> T autoCommit(String what, Work<T> work) {
    return run(what, false, work);
  }

  /** A prepared statement with the statement timeout set. */
  PreparedStatement prepare(Connection c, String sql) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    ps.setQueryTimeout(queryTimeoutSeconds);
    return ps;
  }

  private <T> T run(String what, boolean transactional, Work<T> work) {
    for (int attempt = 0; ; attempt++) {
      try (Connection c = dataSource.getConnection()) {
        dialect.prepare(c);
        if (!transactional) {
          c.setAutoCommit(true);
          return work.run(c);
        }
        c.setAutoCommit(false);
        try {
          T result = work.run(c);
          c.commit();
          return result;
        } catch (SQLException | RuntimeException e) {
          rollbackQuietly(c);
          throw e;
        } finally {
          resetQuietly(c);
        }
      } catch (SQLException e) {
        String state = retryableState(e);
        if (state == null || attempt >= maxRetries) {
          throw new ChatException(
              ErrorCode.UNAVAILABLE,
              what + " failed on " + displayUrl + " after " + (attempt + 1) + " attempt(s): SQLSTATE "
                  + e.getSQLState() + ": " + e.getMessage(),
              e);
        }
        retries.incrementAndGet();
        long delay = backoffMillis(attempt);
        log.debug("{} hit SQLSTATE {} (attempt {}), retrying in {} ms", what, state, attempt + 1, delay);
        try {
          Thread.sleep(delay);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new ChatException(ErrorCode.UNAVAILABLE, what + " interrupted while waiting to retry", e);
        }
      }
    }
  }

  private long backoffMillis(int attempt) {
    long base = initialBackoff.toMillis() << Math.min(attempt, 20);
    long capped = Math.max(1, Math.min(base, maxBackoff.toMillis()));
    return capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1);
  }

  /** The SQLSTATE that makes {@code e} (or one it chains to) worth retrying, or null. */
  static @Nullable String retryableState(SQLException e) {
    Throwable t = e;
    int guard = 0;
    while (t != null && guard++ < 20) {
      if (t instanceof SQLException se) {
        String state = se.getSQLState();
        if (state != null
            && (state.equals("40001")
                || state.equals("40P01")
                || state.equals("40003")
                || state.startsWith("08")
                || state.equals("HYT00") // H2: lock wait timed out (default 2 s): another transaction held the row
                || state.equals("55P03"))) { // PostgreSQL: lock_timeout, if the server or URL sets one
          return state;
        }
        if (se instanceof SQLTransientConnectionException) {
          return state == null ? "08000" : state;
        }
        SQLException next = se.getNextException();
        t = next != null && next != se ? next : se.getCause();
      } else {
        t = t.getCause();
      }
    }
    return null;
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException e) {
      log.debug("rollback failed", e);
    }
  }

  private static void resetQuietly(Connection c) {
    try {
      c.setAutoCommit(true);
    } catch (SQLException e) {
      log.debug("resetting auto-commit failed", e);
    }
  }
}
