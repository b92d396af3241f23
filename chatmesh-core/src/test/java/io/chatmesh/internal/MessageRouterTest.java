package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.ChatNode;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import io.chatmesh.wire.Goodbye;
import io.chatmesh.wire.Heartbeat;
import io.chatmesh.wire.InfoRequest;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.ResendRequest;
import io.chatmesh.wire.RoomGone;
import io.chatmesh.wire.WireMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MessageRouterTest {
  private final ExecutorService pool = Executors.newFixedThreadPool(2);
  private final SerialExecutor nodeLane = new SerialExecutor("test/node", pool);
  private final List<WireMessage> sent = new ArrayList<>();

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  @Test
  void everyWireMessageTypeHasAHandlerInTheEngine() {
    try (InMemoryNetwork net = new InMemoryNetwork()) {
      NodeEngine engine = (NodeEngine) ChatNode.builder().nodeId("n1").transport(net.transport("n1")).build();
      Class<?>[] types = WireMessage.class.getPermittedSubclasses();
      assertThat(types).isNotEmpty();
      for (Class<?> type : types) {
        assertThat(engine.router().laneOf(type.asSubclass(WireMessage.class)))
            .as("lane and handler for " + type.getSimpleName())
            .isPresent();
      }
      // spot checks of the lane rules
      assertThat(engine.router().laneOf(Goodbye.class)).contains(MessageRouter.Lane.NODE);
      assertThat(engine.router().laneOf(Reply.class)).contains(MessageRouter.Lane.TRANSPORT);
      assertThat(engine.router().laneOf(InfoRequest.class)).contains(MessageRouter.Lane.ADMIN_ROOM);
      assertThat(engine.router().laneOf(RoomGone.class)).contains(MessageRouter.Lane.MEMBER_ROOM);
      engine.close();
    }
  }

  @Test
  void aTypeRegisteredTwiceIsRefused() {
    MessageRouter.Builder b = builder().onTransport(Heartbeat.class, (f, i, m) -> {});
    assertThatThrownBy(() -> b.onNodeLane(Heartbeat.class, (f, i, m) -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Heartbeat is routed twice");
  }

  @Test
  void aNodeLaneHandlerRunsOnTheNodeLaneAndATransportHandlerOnTheCallingThread() {
    CompletableFuture<Boolean> onNodeLane = new CompletableFuture<>();
    List<String> transportThread = new ArrayList<>();
    MessageRouter router =
        builder()
            .onNodeLane(Goodbye.class, (f, i, m) -> onNodeLane.complete(nodeLane.isCurrent()))
            .onTransport(Heartbeat.class, (f, i, m) -> transportThread.add(Thread.currentThread().getName()))
            .build();
    router.dispatch(new Envelope(NodeId.of("n2"), 1, new Goodbye("bye")));
    router.dispatch(new Envelope(NodeId.of("n2"), 1, new Heartbeat()));
    assertThat(onNodeLane).succeedsWithin(Duration.ofSeconds(10)).isEqualTo(true);
    assertThat(transportThread).containsExactly(Thread.currentThread().getName());
  }

  @Test
  void aRequestForARoomNotAdministeredHereIsAnsweredAndAMessageWithoutRequestGetsRoomGone() {
    MessageRouter router =
        builder()
            .onAdminRoom(InfoRequest.class, InfoRequest::room, InfoRequest::requestId, (rs, f, m) -> {})
            .onAdminRoom(ResendRequest.class, ResendRequest::room, r -> -1, (rs, f, m) -> {})
            .build();
    router.dispatch(new Envelope(NodeId.of("n2"), 1, new InfoRequest(7, "general")));
    router.dispatch(new Envelope(NodeId.of("n2"), 1, new ResendRequest("general", 1, 2)));
    assertThat(sent).hasSize(2);
    assertThat(sent.get(0)).isInstanceOfSatisfying(Reply.class, r -> {
      assertThat(r.requestId()).isEqualTo(7);
      assertThat(r.error()).isEqualTo(ErrorCode.UNKNOWN_ROOM);
    });
    assertThat(sent.get(1)).isInstanceOfSatisfying(RoomGone.class, g -> assertThat(g.room()).isEqualTo("general"));
  }

  @Test
  void aMessageWithoutAHandlerFailsLoudly() {
    MessageRouter router = builder().build();
    assertThatThrownBy(() -> router.dispatch(new Envelope(NodeId.of("n2"), 1, new Heartbeat())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no handler for io.chatmesh.wire.Heartbeat");
  }

  private MessageRouter.Builder builder() {
    return MessageRouter.builder(NodeId.of("n1"), nodeLane, room -> null, (to, m) -> sent.add(m));
  }
}
