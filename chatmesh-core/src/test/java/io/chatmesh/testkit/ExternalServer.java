package io.chatmesh.testkit;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.slf4j.LoggerFactory;

/**
 * The rule for tests that need an external server (PostgreSQL, etcd): run when it is there; when it
 * is not, skip the class with the reason (logged once too, since Surefire's console shows no skip
 * reasons), except under CI ({@code CI=true}), where the class runs and must fail in its setup.
 */
public final class ExternalServer {
  private ExternalServer() {}

  /**
   * The condition for a test class's {@code ExecutionCondition}.
   *
   * @param available whether the server (or its binary, or its URL) is there
   * @param skipReason why the class is skipped otherwise, and how to provide the server
   * @param testClass the test class, for the log
   * @return enabled or disabled with the reason
   */
  public static ConditionEvaluationResult condition(boolean available, String skipReason, Class<?> testClass) {
    if (available) {
      return ConditionEvaluationResult.enabled("the server is available");
    }
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      return ConditionEvaluationResult.enabled("CI=true: a missing server is a failure");
    }
    LoggerFactory.getLogger(testClass).warn(skipReason);
    return ConditionEvaluationResult.disabled(skipReason);
  }
}
