package io.chatmesh.websocket;

import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.chatmesh.testkit.BadRequests;
import java.time.Duration;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link WebSocketGateway.Builder} rejects null and invalid settings with BAD_REQUEST naming them. */
class GatewayBuilderTest {
  private static final FakeChatNode NODE = new FakeChatNode("n1");

  static Stream<Arguments> invalidInput() {
    return Stream.of(
        arguments("builder(null)", (ThrowingCallable) () -> WebSocketGateway.builder(null), "node must not be null"),
        arguments("host(null)", (ThrowingCallable) () -> WebSocketGateway.builder(NODE).host(null), "host must not be null"),
        arguments("port(-1)", (ThrowingCallable) () -> WebSocketGateway.builder(NODE).port(-1), "port must be 0..65535"),
        arguments("maxFrameBytes(10)", (ThrowingCallable) () -> WebSocketGateway.builder(NODE).maxFrameBytes(10), "maxFrameBytes"),
        arguments("maxRequestsPerSecond(0)", (ThrowingCallable) () -> WebSocketGateway.builder(NODE).maxRequestsPerSecond(0), "maxRequestsPerSecond"),
        arguments("maxOutboundBytes(1)", (ThrowingCallable) () -> WebSocketGateway.builder(NODE).maxOutboundBytes(1), "maxOutboundBytes"),
        arguments("maxOutboundFrames(0)", (ThrowingCallable) () -> WebSocketGateway.builder(NODE).maxOutboundFrames(0), "maxOutboundFrames"),
        arguments("idleTimeout(null)", (ThrowingCallable) () -> WebSocketGateway.builder(NODE).idleTimeout(null), "idleTimeout"),
        arguments("idleTimeout(1ms)", (ThrowingCallable) () -> WebSocketGateway.builder(NODE).idleTimeout(Duration.ofMillis(1)), "idleTimeout"),
        arguments("workerThreads(0)", (ThrowingCallable) () -> WebSocketGateway.builder(NODE).workerThreads(0), "workerThreads"),
        arguments("authenticator(null)", (ThrowingCallable) () -> WebSocketGateway.builder(NODE).authenticator(null), "authenticator must not be null"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidInput")
  void isABadRequestNamingTheSetting(String what, ThrowingCallable call, String detail) {
    BadRequests.assertBadRequest(call, detail);
  }
}
