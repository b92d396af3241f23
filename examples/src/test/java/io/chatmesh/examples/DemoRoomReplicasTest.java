package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatNode;
import io.chatmesh.Failover;
import io.chatmesh.NodeId;
import io.chatmesh.RoomSummary;
import io.chatmesh.lease.InMemoryRoomLeases;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArraySet;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A {@code --node} with failover creates its room only once it sees {@code replicationFactor - 1}
 * live peers ({@link DemoNode#whenPeersForReplicas}): a room's replica set is fixed at creation, and
 * the first node of the README's three-terminal demo, alone, made room-a without replicas, so killing
 * it never failed the room over. Without failover, or when the room exists already, it does not wait.
 */
@Timeout(30)
class DemoRoomReplicasTest {
  private final Set<NodeId> live = new CopyOnWriteArraySet<>();
  private final ChatNode node = (ChatNode) Proxy.newProxyInstance(ChatNode.class.getClassLoader(), new Class<?>[] {ChatNode.class},
      (proxy, method, args) -> switch (method.getName()) {
        case "liveNodes" -> Set.copyOf(live);
        case "rooms" -> List.<RoomSummary>of();
        case "id" -> NodeId.of("n1");
        default -> throw new UnsupportedOperationException(method.getName());
      });
  private final Failover failover = Failover.builder(new InMemoryRoomLeases()).replicationFactor(3).build();

  @Test
  void waitsForTwoPeersWithReplicationFactorThree() {
    CompletableFuture<Void> ready = DemoNode.whenPeersForReplicas(node, failover, "room-a", Duration.ofSeconds(60));
    live.add(NodeId.of("n2"));
    Awaitility.await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)).until(() -> !ready.isDone());

    live.add(NodeId.of("n3"));
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(ready::isDone);
    assertThat(ready).isCompleted();
  }

  @Test
  void createsAnywayAfterTheLimit() {
    CompletableFuture<Void> ready = DemoNode.whenPeersForReplicas(node, failover, "room-a", Duration.ofMillis(300));

    Awaitility.await().atMost(Duration.ofSeconds(5)).until(ready::isDone);
    assertThat(live).isEmpty();
  }

  @Test
  void doesNotWaitWithoutFailover() {
    assertThat(DemoNode.whenPeersForReplicas(node, null, "room-a", Duration.ofSeconds(60))).isCompleted();
  }
}
