package io.chatmesh;

import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.chatmesh.spi.transport.Transport;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.BadRequests;
import io.chatmesh.transport.faults.Faults;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every public builder and factory of chatmesh-core rejects null and invalid input with {@link
 * ChatException} {@link ErrorCode#BAD_REQUEST} naming the setting, as their documentation says
 * (never a NullPointerException or IllegalArgumentException).
 */
class BuilderValidationTest {
  private static final InMemoryNetwork NET = new InMemoryNetwork();

  @AfterAll
  static void closeNetwork() {
    NET.close();
  }

  private static Arguments bad(String what, ThrowingCallable call, String detail) {
    return arguments(what, call, detail);
  }

  static Stream<Arguments> invalidInput() {
    Transport t = NET.transport("t1");
    return Stream.of(
        bad("nodeId(String null)", () -> ChatNode.builder().nodeId((String) null), "node id must not be null"),
        bad("nodeId(NodeId null)", () -> ChatNode.builder().nodeId((NodeId) null), "nodeId must not be null"),
        bad("nodeId with a space", () -> ChatNode.builder().nodeId("n 1"), "node id 'n 1' may only contain"),
        bad("transport(null)", () -> ChatNode.builder().transport((Transport) null), "transport must not be null"),
        bad("transport(null name)", () -> ChatNode.builder().transport(null, "127.0.0.1:0"), "transport name must not be null"),
        bad("transport(null address)", () -> ChatNode.builder().transport("grpc", null), "listenAddress must not be null"),
        bad("seeds(null array)", () -> ChatNode.builder().seeds((String[]) null), "seeds must not be null"),
        bad("seeds(null element)", () -> ChatNode.builder().seeds("a", null), "seed address must not be null or blank"),
        bad("seeds(null list)", () -> ChatNode.builder().seeds((List<String>) null), "seeds must not be null"),
        bad("clock(null)", () -> ChatNode.builder().clock(null), "clock must not be null"),
        bad("heartbeatInterval(null)", () -> ChatNode.builder().heartbeatInterval(null), "heartbeatInterval must not be null"),
        bad("heartbeatInterval(0)", () -> ChatNode.builder().heartbeatInterval(Duration.ZERO), "heartbeatInterval must be positive"),
        bad("failureTimeout(-1ms)", () -> ChatNode.builder().failureTimeout(Duration.ofMillis(-1)), "failureTimeout must be positive"),
        bad("requestTimeout(null)", () -> ChatNode.builder().requestTimeout(null), "requestTimeout must not be null"),
        bad("prepareTimeout(0)", () -> ChatNode.builder().prepareTimeout(Duration.ZERO), "prepareTimeout must be positive"),
        bad("maxTextLength(0)", () -> ChatNode.builder().maxTextLength(0), "maxTextLength must be positive"),
        bad("resendBufferSize(-1)", () -> ChatNode.builder().resendBufferSize(-1), "resendBufferSize must be positive"),
        bad("dedupWindow(0)", () -> ChatNode.builder().dedupWindow(0), "dedupWindow must be positive"),
        bad("historyInMemoryLimit(0)", () -> ChatNode.builder().historyInMemoryLimit(0), "historyInMemoryLimit must be positive"),
        bad("history(null)", () -> ChatNode.builder().history(null), "history must not be null"),
        bad("sequencer(null)", () -> ChatNode.builder().sequencer(null), "sequencer must not be null"),
        bad("failureDetector(null)", () -> ChatNode.builder().failureDetector(null), "failureDetector must not be null"),
        bad("build() without nodeId", () -> ChatNode.builder().transport(t).build(), "nodeId is required"),
        bad("build() without transport", () -> ChatNode.builder().nodeId("n1").build(), "transport is required"),
        bad(
            "build() with failureTimeout < 2 heartbeats",
            () -> ChatNode.builder().nodeId("n1").transport(t).heartbeatInterval(Duration.ofSeconds(2))
                .failureTimeout(Duration.ofSeconds(3)).build(),
            "failureTimeout (PT3S) must be at least twice heartbeatInterval"),
        bad("UserId(null)", () -> UserId.of(null), "user id must not be null"),
        bad("UserId too long", () -> UserId.of("u".repeat(65)), "at most 64"),
        bad("Identifiers.check blank", () -> Identifiers.check("room name", " "), "room name must not be blank"),
        bad("JoinOptions.since(-1)", () -> JoinOptions.since(-1), "since must be 0 or more"),
        bad("JoinOptions.last(0)", () -> JoinOptions.last(0), "last must be 1..10000"),
        bad("JoinOptions.last(10001)", () -> JoinOptions.last(10_001), "last must be 1..10000"),
        bad("JoinOptions.resume(0, 0)", () -> JoinOptions.resume(0, 0), "resume needs epoch >= 1"),
        bad("JoinOptions.resume(1, -1)", () -> JoinOptions.resume(1, -1), "seq >= 0"),
        bad("InMemoryCluster.nodes(0)", () -> InMemoryCluster.builder().nodes(0), "at least one node"),
        bad("InMemoryCluster.clock(null)", () -> InMemoryCluster.builder().clock(null), "clock must not be null"),
        bad("InMemoryCluster.configure(null)", () -> InMemoryCluster.builder().configure(null), "configure must not be null"),
        bad("InMemoryCluster.configureNode(null)", () -> InMemoryCluster.builder().configureNode(null), "configureNode must not be null"),
        bad("InMemoryCluster.transports(null, ..)", () -> InMemoryCluster.builder().transports(null, n -> {}), "transports factory must not be null"),
        bad("InMemoryCluster.transports(.., null)", () -> InMemoryCluster.builder().transports(NET::transport, null), "transports crash must not be null"),
        bad("InMemoryNetwork.transport(null)", () -> NET.transport(null), "address must not be null or blank"),
        bad("InMemoryNetwork.transport(blank)", () -> NET.transport(" "), "address must not be null or blank"),
        bad("InMemoryNetwork.faults(null)", () -> NET.faults(null), "faults must not be null"),
        bad("Faults drop 1", () -> Faults.builder().drop(1).build(), "dropRate must be in [0, 1)"),
        bad("Faults delay null", () -> Faults.builder().delay(null).build(), "must not be null"),
        bad("Faults reorder maxDelay null", () -> Faults.builder().reorder(0.1, null).build(), "must not be null"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidInput")
  void isABadRequestNamingTheSetting(String what, ThrowingCallable call, String detail) {
    BadRequests.assertBadRequest(call, detail);
  }
}
