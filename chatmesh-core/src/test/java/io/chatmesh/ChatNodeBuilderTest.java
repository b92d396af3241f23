package io.chatmesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.transport.inmemory.InMemoryNetwork;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ChatNodeBuilderTest {
  @Test
  void missingOrInvalidSettingsAreNamed() {
    assertThatThrownBy(() -> ChatNode.builder().build()).isInstanceOf(ChatException.class).hasMessageContaining("nodeId");
    assertThatThrownBy(() -> ChatNode.builder().nodeId("n1").build()).hasMessageContaining("transport");
    assertThatThrownBy(() -> ChatNode.builder().nodeId("bad id")).hasMessageContaining("node id");
    assertThatThrownBy(() -> ChatNode.builder().heartbeatInterval(Duration.ZERO)).hasMessageContaining("heartbeatInterval");
    assertThatThrownBy(() -> ChatNode.builder().maxTextLength(0)).hasMessageContaining("maxTextLength");
    assertThatThrownBy(() -> ChatNode.builder().seeds("a", " ")).hasMessageContaining("seed");
    try (InMemoryNetwork net = new InMemoryNetwork()) {
      assertThatThrownBy(() -> ChatNode.builder().nodeId("n1").transport(net.transport("n1"))
              .heartbeatInterval(Duration.ofSeconds(2)).failureTimeout(Duration.ofSeconds(3)).build())
          .hasMessageContaining("failureTimeout");
    }
  }

  @Test
  void anUnknownTransportNameSaysWhichArtifactToAdd() {
    ChatException e = (ChatException) org.assertj.core.api.Assertions.catchThrowable(
        () -> ChatNode.builder().transport("carrier-pigeon", "127.0.0.1:0"));
    assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(e.getMessage()).contains("carrier-pigeon").contains("class path");
  }

  @Test
  void lifecycleIsStartOnceThenCloseIdempotently() {
    try (InMemoryNetwork net = new InMemoryNetwork()) {
      ChatNode n = ChatNode.builder().nodeId("n1").transport(net.transport("n1")).build();
      assertThat(n.createRoom("early")).isCompletedExceptionally();
      n.start();
      assertThat(n.address()).isEqualTo("n1");
      assertThatThrownBy(n::start).hasMessageContaining("already started");
      n.close();
      n.close();
      ChatException closed = ChatException.from(org.assertj.core.api.Assertions.catchThrowable(() -> n.createRoom("late").join()));
      assertThat(closed.code()).isEqualTo(ErrorCode.UNAVAILABLE);
      assertThat(closed.getMessage()).contains("closed");
    }
  }

  @Test
  void aSingleNodeIsAWorkingCluster() {
    try (InMemoryNetwork net = new InMemoryNetwork();
        ChatNode n = ChatNode.builder().nodeId("solo").transport(net.transport("solo")).build().start()) {
      Room room = n.createRoom("general").join();
      java.util.List<RoomEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
      room.join(UserId.of("alice"), events::add).join();
      Sent sent = room.send(UserId.of("alice"), "hello").join();
      assertThat(sent.seq()).isEqualTo(2);
      assertThat(events).hasSize(2);
      assertThat(events.get(1)).isInstanceOfSatisfying(ChatMessage.class, m -> assertThat(m.text()).isEqualTo("hello"));
      assertThat(n.rooms()).extracting(RoomSummary::name).containsExactly("general");
    }
  }
}
