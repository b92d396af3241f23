package io.chatmesh.transport.inmemory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.chatmesh.ChatException;
import io.chatmesh.NodeId;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.transport.faults.Faults;
import io.chatmesh.wire.Heartbeat;
import io.chatmesh.wire.RoomTail;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InMemoryNetworkTest {
  private final InMemoryNetwork net = new InMemoryNetwork(1);
  private final List<Long> atB = new CopyOnWriteArrayList<>();
  private final Transport a = net.transport("a");
  private final Transport b = net.transport("b");

  InMemoryNetworkTest() {
    a.start(e -> {});
    b.start(e -> atB.add(((RoomTail) e.message()).lastSeq()));
  }

  @AfterEach
  void close() {
    a.close();
    b.close();
    net.close();
  }

  private void sendAtoB(int from, int to) {
    for (int i = from; i < to; i++) {
      a.send("b", new Envelope(NodeId.of("a"), 1, new RoomTail("r", 1, i)));
    }
  }

  @Test
  void partitionCutsAndHealRestores() {
    net.partition(Set.of("a"), Set.of("b"));
    sendAtoB(0, 10);
    net.heal();
    sendAtoB(10, 20);
    await().atMost(Duration.ofSeconds(5)).until(() -> atB.size() == 10);
    assertThat(atB).startsWith(10L).endsWith(19L).isSorted();
    assertThat(net.droppedCount()).isEqualTo(10);
  }

  @Test
  void dropDuplicateAndReorderAreApplied() {
    net.faults(Faults.builder().drop(0.2).duplicate(0.2).reorder(0.3, Duration.ofMillis(2)).build());
    sendAtoB(0, 1000);
    await().atMost(Duration.ofSeconds(5)).until(() -> net.injector().pendingCount() == 0 && net.deliveredCount() == atB.size());
    assertThat(atB.stream().distinct().count()).isLessThan(1000).isGreaterThan(600);
    assertThat(atB.size()).isGreaterThan((int) atB.stream().distinct().count());
    assertThat(atB).isNotEqualTo(atB.stream().sorted().toList());
  }

  @Test
  void aCrashedNodeNeitherSendsNorReceivesAndARestartReplacesIt() {
    net.crash("b");
    sendAtoB(0, 5);
    Transport b2 = net.transport("b");
    List<Long> atB2 = new CopyOnWriteArrayList<>();
    b2.start(e -> atB2.add(((RoomTail) e.message()).lastSeq()));
    sendAtoB(5, 8);
    await().atMost(Duration.ofSeconds(5)).until(() -> atB2.size() == 3);
    assertThat(atB2).containsExactly(5L, 6L, 7L);
    assertThat(atB).isEmpty();
    b2.close();
  }

  @Test
  void aLiveAddressCannotBeTakenTwice() {
    assertThatThrownBy(() -> net.transport("a").start(e -> {})).isInstanceOf(ChatException.class).hasMessageContaining("already in use");
  }
}
