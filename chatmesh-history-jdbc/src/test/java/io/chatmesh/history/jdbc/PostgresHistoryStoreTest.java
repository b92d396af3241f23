package io.chatmesh.history.jdbc;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * The history contract and the JDBC tests on a real PostgreSQL server: the one {@code
 * .ci/postgres.sh start} launches (a throwaway cluster on a free local port), found through the
 * environment variable {@code CHATMESH_PG_URL} or the system property {@code chatmesh.pg.url}.
 * Skipped when neither is set, except under CI ({@code CI=true}), where that is a failure.
 *
 * <p>The skip is a class-level {@link ExecutionCondition} rather than an assumption in
 * {@code @BeforeAll}: Surefire counts a class aborted in {@code @BeforeAll} as "Tests run: 0" and
 * drops the reason, while a disabled class has each test reported as skipped, with the reason in
 * the XML report. Surefire's console shows no skip reasons, so the condition also logs it once.
 */
@ExtendWith(PostgresHistoryStoreTest.NeedsServer.class)
class PostgresHistoryStoreTest extends AbstractJdbcHistoryStoreTest {
  private static String url;

  @BeforeAll
  static void findServer() {
    String u = configuredUrl();
    if (u == null) {
      // only reached under CI: NeedsServer disables the class elsewhere
      fail("CHATMESH_PG_URL is not set under CI: .ci/run must start PostgreSQL with .ci/postgres.sh");
    }
    url = u;
  }

  static String configuredUrl() {
    String u = System.getProperty("chatmesh.pg.url", System.getenv("CHATMESH_PG_URL"));
    return u == null || u.isBlank() ? null : u;
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

  /** Disables the class, with the reason, when no server is configured and this is not CI. */
  static final class NeedsServer implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      if (configuredUrl() != null) {
        return ConditionEvaluationResult.enabled("CHATMESH_PG_URL is set");
      }
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        return ConditionEvaluationResult.enabled("CI=true: a missing server is a failure");
      }
      String reason =
          "PostgreSQL tests skipped: CHATMESH_PG_URL is not set; run eval \"$(.ci/postgres.sh start)\" first";
      LoggerFactory.getLogger(PostgresHistoryStoreTest.class).warn(reason);
      return ConditionEvaluationResult.disabled(reason);
    }
  }
}
