package io.chatmesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.chatmesh.testing.InMemoryCluster;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The room flood of issue 11 (20 connections created 40,019 rooms): a node administers at most
 * {@code maxRooms} rooms, a room has at most {@code maxMembersPerRoom} members, and each limit
 * fails with its own error code.
 */
@Timeout(60)
class RoomLimitsTest {

  private static ErrorCode codeOf(Throwable t) {
    Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    assertThat(c).isInstanceOf(ChatException.class);
    return ((ChatException) c).code();
  }

  @Test
  void roomFloodStopsAtMaxRoomsPerNode() {
    try (InMemoryCluster cluster =
        InMemoryCluster.builder().nodes(2).configure(b -> b.maxRooms(3)).build().start()) {
      await().until(cluster::connected);
      ChatNode n1 = cluster.node("n1");
      for (int i = 0; i < 3; i++) {
        n1.createRoom("r" + i).join();
      }
      assertThatThrownBy(() -> n1.createRoom("r3").join())
          .satisfies(t -> assertThat(codeOf(t)).isEqualTo(ErrorCode.TOO_MANY_ROOMS))
          .hasMessageContaining("maxRooms");
      // the limit is per node: another node still creates rooms, and deleting frees a place
      cluster.node("n2").createRoom("other").join();
      n1.room("r0").orElseThrow().delete().join();
      await().untilAsserted(() -> assertThat(n1.room("r0")).isEmpty());
      assertThat(n1.createRoom("r3").join().name()).isEqualTo("r3");
    }
  }

  @Test
  void joinBeyondMaxMembersPerRoomIsRoomFull() {
    try (InMemoryCluster cluster =
        InMemoryCluster.builder().nodes(2).configure(b -> b.maxMembersPerRoom(2)).build().start()) {
      await().until(cluster::connected);
      Room room = cluster.node("n1").createRoom("small").join();
      room.join(UserId.of("a"), e -> {}).join();
      await().until(() -> cluster.node("n2").room("small").isPresent());
      cluster.node("n2").room("small").orElseThrow().join(UserId.of("b"), e -> {}).join();
      assertThatThrownBy(() -> cluster.node("n2").room("small").orElseThrow().join(UserId.of("c"), e -> {}).join())
          .satisfies(t -> assertThat(codeOf(t)).isEqualTo(ErrorCode.ROOM_FULL));
      room.leave(UserId.of("a")).join();
      room.join(UserId.of("c"), e -> {}).join();
    }
  }

  @Test
  void roomNamedDotDotIsRefused() {
    try (InMemoryCluster cluster = InMemoryCluster.builder().nodes(1).build().start()) {
      assertThatThrownBy(() -> cluster.node("n1").createRoom("..").join())
          .satisfies(t -> assertThat(codeOf(t)).isEqualTo(ErrorCode.BAD_REQUEST))
          .hasMessageContaining("only of dots");
    }
  }
}
