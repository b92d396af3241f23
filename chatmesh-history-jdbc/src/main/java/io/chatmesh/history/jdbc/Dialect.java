package io.chatmesh.history.jdbc;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The one difference between the supported databases. Every statement in {@link Sql} runs
 * unchanged on all of them; only H2 needs its PostgreSQL compatibility mode switched on per
 * connection for {@code INSERT ... ON CONFLICT DO NOTHING}, and its write delay set to 0 so a commit
 * reaches the database file before it returns.
 */
enum Dialect {
  H2 {
    @Override
    void prepare(Connection c) throws SQLException {
      try (Statement s = c.createStatement()) {
        s.execute("SET MODE PostgreSQL");
      }
    }
  },
  /** PostgreSQL and CockroachDB (which reports itself as PostgreSQL through pgjdbc). */
  POSTGRESQL {
    @Override
    void prepare(Connection c) {}
  };

  /** Readies a freshly borrowed connection. */
  abstract void prepare(Connection c) throws SQLException;

  static Dialect detect(Connection c) throws SQLException {
    String product = c.getMetaData().getDatabaseProductName();
    if ("H2".equalsIgnoreCase(product)) {
      return H2;
    }
    if (product != null && product.toLowerCase(java.util.Locale.ROOT).contains("postgres")) {
      return POSTGRESQL;
    }
    throw new ChatException(
        ErrorCode.BAD_REQUEST,
        "database '" + product + "' is not supported by chatmesh-history-jdbc; use H2, PostgreSQL or CockroachDB");
  }
}
