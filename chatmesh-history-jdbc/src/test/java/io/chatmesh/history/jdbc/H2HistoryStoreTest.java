package io.chatmesh.history.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The history contract and the JDBC tests on an embedded H2 file database in a temp directory. */
class H2HistoryStoreTest extends AbstractJdbcHistoryStoreTest {
  @TempDir static Path dataDir;

  @Override
  protected String url() {
    return "h2:" + dataDir;
  }

  @Override
  protected String killTestUrl(Path dir) {
    return "h2:" + dir.resolve("data");
  }

  @Test
  void h2DirectoryIsCreatedAndHoldsTheDatabaseFile(@TempDir Path tmp) {
    Path dir = tmp.resolve("a/b/data");
    try (JdbcHistoryStore s = JdbcHistoryStore.forUrl("h2:" + dir)) {
      s.append(entries(room("x"), 1, 1, 1)).join();
    }
    assertThat(dir.resolve("chatmesh.mv.db")).exists();
  }

  @Test
  void aSchemaNewerThanThisBuildRefusesToStart(@TempDir Path tmp) throws Exception {
    String url = "h2:" + tmp;
    JdbcHistoryStore.forUrl(url).close();
    try (Connection c = DriverManager.getConnection(HistoryUrls.toJdbcUrl(url));
        Statement s = c.createStatement()) {
      s.execute("INSERT INTO chatmesh_schema_version (version, applied_ms) VALUES (99, 0)");
    }
    assertThatThrownBy(() -> JdbcHistoryStore.forUrl(url))
        .isInstanceOfSatisfying(
            ChatException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
              assertThat(e.detail()).contains("version 99").contains("newer");
            });
  }

  @Test
  void aFileThatIsNotAnH2DatabaseIsReportedAsUnavailable(@TempDir Path tmp) throws Exception {
    Path file = tmp.resolve("chatmesh.mv.db");
    Files.writeString(file, "this is not an H2 database");
    assertThatThrownBy(() -> JdbcHistoryStore.builder().url("h2:" + tmp).connectionTimeout(java.time.Duration.ofSeconds(1)).build())
        .isInstanceOfSatisfying(
            ChatException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
              assertThat(e.detail()).contains("chatmesh");
            });
  }
}
