package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.chatmesh.ChatException;
import io.chatmesh.ChatNode;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.RoomSummary;
import io.chatmesh.testing.InMemoryCluster;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Known violation V9 replayed step by step (see KNOWN_VIOLATIONS.md): a name is committed by its
 * admin and one other node, the admin crashes, and the other node restarts (forgetting the name);
 * a creation of the same name by two nodes that both started after the name was announced must not
 * pass while the only node that remembers it is down.
 */
class NameAfterAmnesiaTest {
  private static final List<String> ALL = List.of("n1", "n2", "n3");
  private final Map<String, KeptHistoryStore> stores = new HashMap<>();
  // every node is configured with the whole cluster as seeds, as a deployment would be
  private final SteppedCluster stepped = new SteppedCluster(3, 7, (name, b) -> b.history(stores.get(name)).seeds(ALL));
  private final InMemoryCluster cluster = stepped.cluster;

  NameAfterAmnesiaTest() {
    ALL.forEach(n -> stores.put(n, new KeptHistoryStore(stepped.clock)));
  }

  @AfterEach
  void close() {
    stepped.close();
  }

  @Test
  void nodesThatRestartedWhileTheAdminIsDownDoNotCreateItsNameAgain() {
    cluster.start();
    settle(cluster::connected);
    cluster.node("n3").createRoom("r3").join();
    settle(() -> admin("n1", "r3") && admin("n2", "r3"));

    cluster.crash("n3");
    cluster.restart("n1");
    cluster.restart("n2");
    settle(() -> cluster.connected() && cluster.node("n1").liveNodes().contains(NodeId.of("n2")));

    Throwable t = catchThrowable(() -> create("n1", "r3"));
    assertThat(t).as("n1 and n2 both forgot r3, whose admin n3 is down: the name must stay reserved")
        .isInstanceOf(ChatException.class);
    assertThat(((ChatException) t).code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(t).hasMessageContaining("n3");

    cluster.restart("n3"); // restores r3 from its store
    settle(() -> admin("n1", "r3") && admin("n2", "r3"));
    Throwable again = catchThrowable(() -> create("n2", "r3"));
    assertThat(again).isInstanceOf(ChatException.class);
    assertThat(((ChatException) again).code()).isEqualTo(ErrorCode.ROOM_EXISTS);
    assertThat(cluster.node("n1").rooms()).extracting(RoomSummary::admin).containsExactly(NodeId.of("n3"));
  }

  private void create(String node, String room) {
    var f = cluster.node(node).createRoom(room);
    settle(f::isDone);
    try {
      f.join();
    } catch (CompletionException e) {
      throw (RuntimeException) e.getCause();
    }
  }

  private boolean admin(String node, String room) {
    ChatNode n = cluster.node(node);
    return n.rooms().stream().anyMatch(s -> s.name().equals(room) && s.admin().equals(NodeId.of("n3")) && s.available());
  }

  private void settle(BooleanSupplier condition) {
    stepped.settle(condition);
  }
}
