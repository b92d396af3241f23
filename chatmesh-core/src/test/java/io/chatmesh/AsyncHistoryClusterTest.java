package io.chatmesh;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.AbstractHistoryClusterTest;
import io.chatmesh.testkit.ControlledHistoryStore;
import io.chatmesh.testkit.Recorder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The history suite with a store that completes appends later on its own thread (like a JDBC
 * store's group commit), so the admin's pending-entry pipeline is exercised; plus store failures.
 */
class AsyncHistoryClusterTest extends AbstractHistoryClusterTest {
  @Override
  protected @Nullable HistoryStore newStore(String name) {
    return new ControlledHistoryStore();
  }

  @Test
  void noSenderIsAckedAndNoMemberSeesAnEntryBeforeItIsStored() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    ControlledHistoryStore store = (ControlledHistoryStore) stores.get("n1");
    ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    List<Recorder> members = new ArrayList<>();
    for (String n : List.of("n1", "n2", "n3")) {
      Recorder r = new Recorder();
      members.add(r);
      RoomListener checking = event -> {
        if (event instanceof ChatMessage m && !store.isStored("general", m.seq())) {
          violations.add("delivered before stored: " + m.seq());
        }
        r.onEvent(event);
      };
      result(room(c.node(n), "general").join(UserId.of("u" + n), checking));
    }
    List<CompletableFuture<Sent>> sends = new ArrayList<>();
    for (int i = 0; i < 90; i++) {
      String n = "n" + (1 + i % 3);
      CompletableFuture<Sent> f = room(c.node(n), "general").send(UserId.of("u" + n), "m" + i, "c" + i);
      f.thenAccept(s -> {
        if (!store.isStored("general", s.seq())) {
          violations.add("acked before stored: " + s.seq());
        }
      });
      sends.add(f);
    }
    sends.forEach(this::result);
    for (Recorder r : members) {
      awaitUntil("all delivered", () -> r.texts().size() == 90);
      assertThat(r.seqs()).isSorted().doesNotHaveDuplicates();
    }
    assertThat(violations).isEmpty();
    assertThat(members.get(1).messages()).isEqualTo(members.get(0).messages());
  }

  @Test
  void aFailingStoreRefusesWritesThenStoresTheEntryOnceAndTheRetryIsDeduplicated() {
    InMemoryCluster c = cluster(2);
    result(c.node("n1").createRoom("general"));
    ControlledHistoryStore store = (ControlledHistoryStore) stores.get("n1");
    Recorder alice = new Recorder();
    Recorder bob = new Recorder();
    result(room(c.node("n1"), "general").join(UserId.of("alice"), alice));
    Room r2 = room(c.node("n2"), "general");
    result(r2.join(UserId.of("bob"), bob));
    Sent before = result(r2.send(UserId.of("bob"), "before", "c-1"));

    store.failing(true);
    ChatException e = failure(r2.send(UserId.of("bob"), "during", "c-2"));
    assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(e.getMessage()).contains("retry with the same client message id");
    // while the store fails, new writes are refused without taking a seq
    assertThat(failure(r2.send(UserId.of("bob"), "refused", "c-3")).code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(failure(r2.send(UserId.of("bob"), "during", "c-2")).code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(alice.texts()).containsExactly("before");

    store.failing(false);
    // the admin retries the stored-nothing entry with backoff; the client's retry gets its seq
    awaitUntil("store recovered", () -> alice.texts().size() == 2);
    Sent retried = result(r2.send(UserId.of("bob"), "during", "c-2"));
    assertThat(retried.seq()).isEqualTo(before.seq() + 1);
    assertThat(retried.duplicate()).isTrue();
    Sent after = result(r2.send(UserId.of("bob"), "after", "c-4"));
    assertThat(after.seq()).isEqualTo(before.seq() + 2);
    for (Recorder r : List.of(alice, bob)) {
      awaitUntil("delivered", () -> r.texts().size() == 3);
      assertThat(r.texts()).containsExactly("before", "during", "after");
      assertThat(r.seqs()).isSorted().doesNotHaveDuplicates();
    }
    assertThat(store.failedAppends()).isPositive();
    assertThat(result(r2.history(Long.MAX_VALUE, 10))).extracting(ChatMessage::text).containsExactly("before", "during", "after");
  }

  @Test
  void aRoomLaneStaysResponsiveWhileTheStoreBlocksOnRoomRecords() {
    InMemoryCluster c = cluster(2);
    ControlledHistoryStore store = (ControlledHistoryStore) stores.get("n1");
    store.blockRoomRecords();
    result(c.node("n1").createRoom("general"));
    awaitUntil("the admin is recording the new room", () -> store.blockedRoomRecordCalls() == 1);

    // the store is stuck in saveRoom: the room still serves joins and sends on both nodes
    Recorder alice = new Recorder();
    Room atAdmin = room(c.node("n1"), "general");
    result(atAdmin.join(UserId.of("alice"), alice));
    result(room(c.node("n2"), "general").join(UserId.of("bob"), new Recorder()));
    Sent sent = result(room(c.node("n2"), "general").send(UserId.of("bob"), "while blocked", "c-1"));
    awaitUntil("delivered", () -> alice.texts().contains("while blocked"));
    assertThat(store.isStored("general", sent.seq())).isTrue();
    assertThat(store.rooms(NodeId.of("n1"))).isEmpty();

    store.releaseRoomRecords();
    awaitUntil("room recorded", () -> !store.rooms(NodeId.of("n1")).isEmpty());

    // deletion: the store blocks in deleteRoom, the deletion completes and the room lane answers
    store.blockRoomRecords();
    result(atAdmin.delete());
    awaitUntil("the admin is deleting the room's record", () -> store.blockedRoomRecordCalls() == 1);
    assertThat(failure(atAdmin.info()).code()).isEqualTo(ErrorCode.UNKNOWN_ROOM);
    result(c.node("n1").createRoom("random"));
    store.releaseRoomRecords();
    awaitUntil("deleted room forgotten, new room recorded",
        () -> store.rooms(NodeId.of("n1")).stream().map(r -> r.room()).toList().equals(List.of("random")));
  }
}
