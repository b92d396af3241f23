package io.chatmesh.lease.jdbc;

import static org.junit.jupiter.api.Assertions.fail;

import io.chatmesh.testkit.ExternalServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The lease contract and fencing on a real PostgreSQL server: the one {@code .ci/postgres.sh start}
 * launches, found through {@code CHATMESH_PG_URL} or the system property {@code chatmesh.pg.url}.
 * Disabled, with the reason reported, when neither is set, except under CI ({@code CI=true}),
 * where that is a failure (as in chatmesh-history-jdbc's PostgresHistoryStoreTest).
 */
@ExtendWith(PostgresRoomLeasesTest.NeedsServer.class)
class PostgresRoomLeasesTest extends AbstractJdbcRoomLeasesTest {
  private static String url;

  @BeforeAll
  static void findServer() {
    String u = configuredUrl();
    if (u == null) {
      fail("CHATMESH_PG_URL is not set under CI: .ci/run must start PostgreSQL with .ci/postgres.sh");
    }
    url = u;
  }

  private static @Nullable String configuredUrl() {
    String u = System.getProperty("chatmesh.pg.url", System.getenv("CHATMESH_PG_URL"));
    if (u == null || u.isBlank()) {
      return null;
    }
    return u.startsWith("jdbc:") ? u : "jdbc:" + u;
  }

  @Override
  protected String url() {
    return url;
  }

  @Override
  protected String unreachableUrl(int closedPort) {
    return "jdbc:postgresql://127.0.0.1:" + closedPort + "/nowhere?connectTimeout=1";
  }

  /** Disables the class, with the reason, when no server is configured and this is not CI. */
  static final class NeedsServer implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      return ExternalServer.condition(configuredUrl() != null,
          "PostgreSQL lease tests skipped: CHATMESH_PG_URL is not set; run eval \"$(bash .ci/postgres.sh start)\" first",
          PostgresRoomLeasesTest.class);
    }
  }
}
