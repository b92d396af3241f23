package io.chatmesh.transport.grpc;

import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.chatmesh.testkit.BadRequests;
import java.time.Duration;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link GrpcTransport.Builder} rejects null and invalid settings with BAD_REQUEST naming them. */
class GrpcTransportBuilderTest {
  private static GrpcTransport.Builder b() {
    return GrpcTransport.builder("127.0.0.1:0");
  }

  static Stream<Arguments> invalidInput() {
    return Stream.of(
        arguments("builder(null)", (ThrowingCallable) () -> GrpcTransport.builder(null), "address must be host:port"),
        arguments("builder(no port)", (ThrowingCallable) () -> GrpcTransport.builder("localhost"), "address must be host:port"),
        arguments("advertisedAddress(null)", (ThrowingCallable) () -> b().advertisedAddress(null), "address must be host:port"),
        arguments("maxMessageSize(1)", (ThrowingCallable) () -> b().maxMessageSize(1), "maxMessageSize"),
        arguments("maxQueuedEnvelopes(0)", (ThrowingCallable) () -> b().maxQueuedEnvelopes(0), "maxQueuedEnvelopes"),
        arguments("maxQueuedBytes(1)", (ThrowingCallable) () -> b().maxQueuedBytes(1), "maxQueuedBytes"),
        arguments("maxBatchBytes(1)", (ThrowingCallable) () -> b().maxBatchBytes(1), "maxBatchBytes"),
        arguments("handshakeTimeout(null)", (ThrowingCallable) () -> b().handshakeTimeout(null), "handshakeTimeout"),
        arguments("backoff(null, ..)", (ThrowingCallable) () -> b().backoff(null, Duration.ofSeconds(1), 0), "initial backoff"),
        arguments("backoff max < initial", (ThrowingCallable) () -> b().backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 0), "below initial"),
        arguments("backoff jitter 2", (ThrowingCallable) () -> b().backoff(Duration.ofSeconds(1), Duration.ofSeconds(2), 2), "jitter"),
        arguments("closeGracePeriod(null)", (ThrowingCallable) () -> b().closeGracePeriod(null), "closeGracePeriod"),
        arguments("closeGracePeriod(-1s)", (ThrowingCallable) () -> b().closeGracePeriod(Duration.ofSeconds(-1)), "closeGracePeriod"),
        arguments("keepAliveTime(0)", (ThrowingCallable) () -> b().keepAliveTime(Duration.ZERO), "keepAliveTime"),
        arguments("ioThreads(0)", (ThrowingCallable) () -> b().ioThreads(0), "ioThreads"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidInput")
  void isABadRequestNamingTheSetting(String what, ThrowingCallable call, String detail) {
    BadRequests.assertBadRequest(call, detail);
  }
}
