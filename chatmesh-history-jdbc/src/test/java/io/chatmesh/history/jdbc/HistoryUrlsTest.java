package io.chatmesh.history.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class HistoryUrlsTest {

  @Test
  void h2DirectoryBecomesAnAbsoluteFileUrl() {
    String expected = "jdbc:h2:file:" + Path.of("data").toAbsolutePath().normalize().resolve("chatmesh");
    assertThat(HistoryUrls.toJdbcUrl("h2:./data")).isEqualTo(expected);
    assertThat(HistoryUrls.toJdbcUrl("h2:/var/lib/chat")).isEqualTo("jdbc:h2:file:/var/lib/chat/chatmesh");
  }

  @Test
  void postgresqlUrlsBecomePgjdbcUrls() {
    assertThat(HistoryUrls.toJdbcUrl("postgresql://127.0.0.1:5432/chat?user=u&password=p"))
        .isEqualTo("jdbc:postgresql://127.0.0.1:5432/chat?user=u&password=p");
    assertThat(HistoryUrls.toJdbcUrl("postgres://db.example:26257/chat"))
        .isEqualTo("jdbc:postgresql://db.example:26257/chat");
    assertThat(HistoryUrls.toJdbcUrl("postgresql://alice:s%40cret@h:5433/chat?sslmode=disable"))
        .isEqualTo("jdbc:postgresql://h:5433/chat?sslmode=disable&user=alice&password=s%40cret");
    assertThat(HistoryUrls.toJdbcUrl("postgresql://bob@h/chat")).isEqualTo("jdbc:postgresql://h/chat?user=bob");
    assertThat(HistoryUrls.toJdbcUrl("jdbc:postgresql://h/x")).isEqualTo("jdbc:postgresql://h/x");
  }

  @Test
  void unsupportedOrEmptyUrlsAreBadRequests() {
    for (String bad : new String[] {"", "  ", "h2:", "mysql://h/db", "postgresql:///db", "./data"}) {
      assertThatThrownBy(() -> HistoryUrls.toJdbcUrl(bad))
          .as(bad)
          .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST));
    }
    assertThatThrownBy(() -> HistoryUrls.toJdbcUrl("mysql://h/db"))
        .hasMessageContaining("h2:<directory>")
        .hasMessageContaining("postgresql://");
  }

  @Test
  void passwordsAreRedacted() {
    assertThat(HistoryUrls.redact("jdbc:postgresql://h/db?user=u&password=secret&ssl=true"))
        .isEqualTo("jdbc:postgresql://h/db?user=u&password=***&ssl=true")
        .doesNotContain("secret");
    assertThat(HistoryUrls.redact("postgresql://u:secret@h/db")).isEqualTo("postgresql://u:***@h/db");
    assertThatThrownBy(() -> HistoryUrls.toJdbcUrl("mysql://u:secret@h/db?password=secret"))
        .hasMessageNotContaining("secret");
  }

  @Test
  void anUnreachableServerIsUnavailableAndNamesItWithoutThePassword() {
    // port 1 on loopback: nothing listens, connection refused at once
    assertThatThrownBy(
            () -> JdbcHistoryStore.builder()
                .url("postgresql://127.0.0.1:1/chat?user=u&password=secret")
                .connectionTimeout(Duration.ofSeconds(1))
                .build())
        .isInstanceOfSatisfying(
            ChatException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
              assertThat(e.detail()).contains("127.0.0.1:1").doesNotContain("secret");
            });
  }

  @Test
  void builderRejectsBadSettings() {
    assertThatThrownBy(() -> JdbcHistoryStore.builder().build()).hasMessageContaining("url or dataSource");
    assertThatThrownBy(() -> JdbcHistoryStore.builder().poolSize(0)).hasMessageContaining("poolSize");
    assertThatThrownBy(() -> JdbcHistoryStore.builder().batchSize(0)).hasMessageContaining("batchSize");
    assertThatThrownBy(() -> JdbcHistoryStore.builder().maxBatchDelay(Duration.ofMillis(-1)))
        .hasMessageContaining("maxBatchDelay");
    assertThatThrownBy(() -> JdbcHistoryStore.builder().retryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .hasMessageContaining("retryBackoff");
  }
}
