package io.chatmesh.history.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Opening the database of a {@link JdbcHistoryStore} ({@link JdbcHistoryStore.Builder#build()}):
 * the directory of an embedded H2 file database, the connection pool the store owns, the dialect,
 * and H2's commit setting. Every failure to reach the database is a {@link ChatException} {@link
 * ErrorCode#UNAVAILABLE} naming it (with the password redacted). Stateless.
 */
final class StoreStartup {
  private StoreStartup() {}

  /** A pool for {@code jdbcUrl}, named after the store's instance number. */
  static HikariDataSource createPool(
      String jdbcUrl,
      int instance,
      @Nullable String user,
      @Nullable String password,
      int poolSize,
      Duration connectionTimeout,
      Duration statementTimeout) {
    HikariConfig cfg = new HikariConfig();
    cfg.setJdbcUrl(jdbcUrl);
    if (user != null) {
      cfg.setUsername(user);
    }
    if (password != null) {
      cfg.setPassword(password);
    }
    cfg.setPoolName("chatmesh-history-" + instance);
    cfg.setMaximumPoolSize(poolSize);
    cfg.setMinimumIdle(1);
    cfg.setConnectionTimeout(Math.max(250, connectionTimeout.toMillis()));
    cfg.setInitializationFailTimeout(Math.max(1, connectionTimeout.toMillis()));
    if (jdbcUrl.startsWith("jdbc:postgresql:")) {
      long connectSeconds = Math.max(1, connectionTimeout.toSeconds());
      cfg.addDataSourceProperty("connectTimeout", Long.toString(connectSeconds));
      // a dead server must not hang the writer: socket reads time out well after statements do
      cfg.addDataSourceProperty("socketTimeout", Long.toString(Math.max(30, statementTimeout.toSeconds() * 3)));
      cfg.addDataSourceProperty("tcpKeepAlive", "true");
    }
    try {
      return new HikariDataSource(cfg);
    } catch (RuntimeException e) {
      throw new ChatException(
          ErrorCode.UNAVAILABLE,
          "cannot connect to the history database " + HistoryUrls.redact(jdbcUrl) + ": " + rootMessage(e),
          e);
    }
  }

  /** Creates the parent directory of an H2 file database; does nothing for other URLs. */
  static void createH2Directory(String jdbcUrl) {
    if (!jdbcUrl.startsWith("jdbc:h2:file:")) {
      return;
    }
    String path = jdbcUrl.substring("jdbc:h2:file:".length()).split(";", 2)[0];
    Path parent = Path.of(path).toAbsolutePath().getParent();
    if (parent == null) {
      return;
    }
    try {
      Files.createDirectories(parent);
    } catch (IOException e) {
      throw new ChatException(
          ErrorCode.UNAVAILABLE, "cannot create the history directory " + parent + ": " + e.getMessage(), e);
    }
  }

  /** The dialect of the database behind {@code ds}. */
  static Dialect detect(DataSource ds, String display) {
    try (Connection c = ds.getConnection()) {
      return Dialect.detect(c);
    } catch (SQLException e) {
      throw new ChatException(
          ErrorCode.UNAVAILABLE, "cannot connect to the history database " + display + ": " + e.getMessage(), e);
    }
  }

  /** H2 only: commits are written to the file before they return (see the store's durability). */
  static void setH2WriteDelay(Db db) {
    db.autoCommit("setting H2 WRITE_DELAY 0", c -> execute(c, "SET WRITE_DELAY 0"));
  }

  private static @Nullable Void execute(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
    return null;
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return String.valueOf(c.getMessage());
  }
}
