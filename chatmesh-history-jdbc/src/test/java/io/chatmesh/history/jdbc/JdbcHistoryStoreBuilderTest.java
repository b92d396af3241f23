package io.chatmesh.history.jdbc;

import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.chatmesh.testkit.BadRequests;
import java.time.Duration;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link JdbcHistoryStore.Builder} rejects null and invalid settings with BAD_REQUEST naming them. */
class JdbcHistoryStoreBuilderTest {
  private static JdbcHistoryStore.Builder b() {
    return JdbcHistoryStore.builder();
  }

  static Stream<Arguments> invalidInput() {
    return Stream.of(
        arguments("url(null)", (ThrowingCallable) () -> b().url(null), "history URL must not be null or blank"),
        arguments("url(unsupported)", (ThrowingCallable) () -> b().url("mysql://x/y"), "mysql"),
        arguments("forUrl(null)", (ThrowingCallable) () -> JdbcHistoryStore.forUrl(null), "history URL must not be null"),
        arguments("dataSource(null)", (ThrowingCallable) () -> b().dataSource(null), "dataSource must not be null"),
        arguments("user(null)", (ThrowingCallable) () -> b().user(null), "user must not be null"),
        arguments("password(null)", (ThrowingCallable) () -> b().password(null), "password must not be null"),
        arguments("poolSize(0)", (ThrowingCallable) () -> b().poolSize(0), "poolSize must be at least 1"),
        arguments("batchSize(0)", (ThrowingCallable) () -> b().batchSize(0), "batchSize must be at least 1"),
        arguments("maxBatchDelay(null)", (ThrowingCallable) () -> b().maxBatchDelay(null), "maxBatchDelay must not be null"),
        arguments("maxBatchDelay(-1ms)", (ThrowingCallable) () -> b().maxBatchDelay(Duration.ofMillis(-1)), "maxBatchDelay must not be negative"),
        arguments("maxPendingEntries(0)", (ThrowingCallable) () -> b().maxPendingEntries(0), "maxPendingEntries"),
        arguments("maxRetries(-1)", (ThrowingCallable) () -> b().maxRetries(-1), "maxRetries must be at least 0"),
        arguments("retryBackoff(null, ..)", (ThrowingCallable) () -> b().retryBackoff(null, Duration.ofSeconds(1)), "retryBackoff initial must not be null"),
        arguments("retryBackoff max < initial", (ThrowingCallable) () -> b().retryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)), "below initial"),
        arguments("connectionTimeout(0)", (ThrowingCallable) () -> b().connectionTimeout(Duration.ZERO), "connectionTimeout must be positive"),
        arguments("statementTimeout(null)", (ThrowingCallable) () -> b().statementTimeout(null), "statementTimeout must not be null"),
        arguments("closeTimeout(-1s)", (ThrowingCallable) () -> b().closeTimeout(Duration.ofSeconds(-1)), "closeTimeout must be positive"),
        arguments("build() without url", (ThrowingCallable) () -> b().build(), "url or dataSource is required"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidInput")
  void isABadRequestNamingTheSetting(String what, ThrowingCallable call, String detail) {
    BadRequests.assertBadRequest(call, detail);
  }
}
