package io.chatmesh.history.jdbc;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/**
 * The history contract and the JDBC tests on a real PostgreSQL server: the one {@code
 * .ci/postgres.sh start} launches (a throwaway cluster on a free local port), found through the
 * environment variable {@code CHATMESH_PG_URL} or the system property {@code chatmesh.pg.url}.
 * Skipped when neither is set, except under CI ({@code CI=true}), where that is a failure.
 */
class PostgresHistoryStoreTest extends AbstractJdbcHistoryStoreTest {
  private static String url;

  @BeforeAll
  static void findServer() {
    String u = System.getProperty("chatmesh.pg.url", System.getenv("CHATMESH_PG_URL"));
    if (u == null || u.isBlank()) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("CHATMESH_PG_URL is not set under CI: .ci/run must start PostgreSQL with .ci/postgres.sh");
      }
      Assumptions.abort(
          "PostgreSQL tests skipped: CHATMESH_PG_URL is not set; run eval \"$(.ci/postgres.sh start)\" first");
    }
    url = u;
  }

  @Override
  protected String url() {
    return url;
  }

  @Override
  protected String killTestUrl(Path dir) {
    return url;
  }

  @Override
  protected int killAfterAcks() {
    return 2_000;
  }
}
