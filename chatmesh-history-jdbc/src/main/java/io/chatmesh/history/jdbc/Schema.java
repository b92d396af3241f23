package io.chatmesh.history.jdbc;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates or migrates the schema on start. Each step is idempotent DDL run in auto-commit mode
 * (CockroachDB advises against DDL inside explicit transactions), followed by recording the version
 * in {@code chatmesh_schema_version}; nodes starting at the same time against one database may both
 * run a step, which is harmless. A database whose schema is newer than this build refuses to start.
 */
final class Schema {
  private static final Logger log = LoggerFactory.getLogger(Schema.class);

  private Schema() {}

  /** Brings the schema to {@link Sql#LATEST_VERSION}; returns the version found before. */
  static int migrate(Db db, long nowMillis) {
    for (int attempt = 1; ; attempt++) {
      try {
        return migrateOnce(db, nowMillis);
      } catch (ChatException e) {
        // two nodes creating the same table at once: PostgreSQL may report a duplicate catalog row
        if (attempt >= 3 || !(e.getCause() instanceof SQLException se) || !isCreateRace(se.getSQLState())) {
          throw e;
        }
        log.debug("concurrent schema creation, trying again", e);
      }
    }
  }

  private static boolean isCreateRace(String state) {
    return "23505".equals(state) || "42P07".equals(state) || "42710".equals(state);
  }

  private static int migrateOnce(Db db, long nowMillis) {
    return db.autoCommit(
        "creating or migrating the history schema",
        c -> {
          execute(c, Sql.CREATE_VERSION_TABLE);
          int found = currentVersion(db, c);
          if (found > Sql.LATEST_VERSION) {
            throw new ChatException(
                ErrorCode.UNAVAILABLE,
                "the history schema in " + db.displayUrl() + " is at version " + found
                    + ", newer than this chatmesh build understands (" + Sql.LATEST_VERSION + "); upgrade chatmesh");
          }
          for (int v = found; v < Sql.LATEST_VERSION; v++) {
            for (String ddl : Sql.MIGRATIONS.get(v)) {
              execute(c, ddl);
            }
            try (PreparedStatement ps = db.prepare(c, Sql.INSERT_VERSION)) {
              ps.setInt(1, v + 1);
              ps.setLong(2, nowMillis);
              ps.executeUpdate();
            }
            log.info("history schema in {} migrated to version {}", db.displayUrl(), v + 1);
          }
          return found;
        });
  }

  static int currentVersion(Db db, Connection c) throws SQLException {
    try (PreparedStatement ps = db.prepare(c, Sql.SELECT_VERSION);
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getInt(1) : 0;
    }
  }

  private static void execute(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
