package io.chatmesh.history.jdbc;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fencing at the storage on the real PostgreSQL server of {@code .ci/postgres.sh} ({@code
 * CHATMESH_PG_URL}); skipped without one, except under CI (see {@link PostgresHistoryStoreTest}).
 */
@ExtendWith(PostgresHistoryStoreTest.NeedsServer.class)
class PostgresSharedStoreFencingTest extends AbstractSharedStoreFencingTest {
  @Override
  protected String url() {
    String url = PostgresHistoryStoreTest.configuredUrl();
    if (url == null) {
      fail("CHATMESH_PG_URL is not set under CI: .ci/run must start PostgreSQL with .ci/postgres.sh");
    }
    return url;
  }

  @Override
  protected String withLockTimeout(String jdbcUrl, int millis) {
    return jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "options=-c%20lock_timeout%3D" + millis;
  }
}
