package io.chatmesh.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.chatmesh.ChatException;
import io.chatmesh.ChatNode;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeHealth;
import io.chatmesh.NodeId;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.UserId;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.ControlledHistoryStore;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link ChatNode#metrics()}, {@link ChatNode#addMetricsObserver} and {@link ChatNode#health()} on a live cluster. */
class NodeMetricsTest {
  private InMemoryCluster cluster;

  @AfterEach
  void close() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private InMemoryCluster start() {
    cluster =
        InMemoryCluster.builder()
            .nodes(3)
            .configure(b -> b.heartbeatInterval(Duration.ofMillis(50)).failureTimeout(Duration.ofMillis(500)))
            .build()
            .start();
    await().atMost(10, TimeUnit.SECONDS).until(cluster::connected);
    return cluster;
  }

  /** Counts calls and total nanoseconds, like a timer would. */
  private static final class Recorder implements MetricsObserver {
    final AtomicLong sequenced = new AtomicLong();
    final AtomicLong acked = new AtomicLong();
    final AtomicLong appends = new AtomicLong();
    final AtomicLong appendedEntries = new AtomicLong();

    @Override
    public void sequenced(long nanos) {
      assertThat(nanos).isNotNegative();
      sequenced.incrementAndGet();
    }

    @Override
    public void sendAcknowledged(long nanos) {
      assertThat(nanos).isNotNegative();
      acked.incrementAndGet();
    }

    @Override
    public void historyAppended(int entries, long nanos) {
      appends.incrementAndGet();
      appendedEntries.addAndGet(entries);
    }
  }

  @Test
  void sendsDeliveriesRoomsAndLatenciesAreCountedWhereTheyHappen() {
    start();
    ChatNode n1 = cluster.node("n1");
    ChatNode n2 = cluster.node("n2");
    Recorder admin = new Recorder();
    Recorder member = new Recorder();
    n1.addMetricsObserver(admin);
    n2.addMetricsObserver(member);

    n1.createRoom("general").join();
    await().until(() -> n2.room("general").isPresent());
    Room viaN2 = n2.room("general").orElseThrow();
    CopyOnWriteArrayList<RoomEvent> aliceSaw = new CopyOnWriteArrayList<>();
    viaN2.join(UserId.of("alice"), aliceSaw::add).join();
    n1.room("general").orElseThrow().join(UserId.of("bob"), e -> {}).join();

    for (int i = 0; i < 5; i++) {
      viaN2.send(UserId.of("alice"), "hello " + i).join();
    }
    viaN2.send(UserId.of("alice"), "again", "m-1").join();
    assertThat(viaN2.send(UserId.of("alice"), "again", "m-1").join().duplicate()).isTrue();

    await().untilAsserted(() -> assertThat(aliceSaw.stream().filter(e -> e instanceof io.chatmesh.ChatMessage).count()).isEqualTo(6));
    NodeMetricsSnapshot m2 = n2.metrics();
    assertThat(m2.sendsAccepted()).isEqualTo(7);
    assertThat(m2.sendsRefusedTotal()).isZero();
    assertThat(m2.deliveries()).isEqualTo(aliceSaw.size());
    assertThat(m2.roomsJoined()).isEqualTo(1);
    assertThat(m2.roomsAdministered()).isZero();
    assertThat(m2.livePeers()).isEqualTo(2);
    assertThat(member.acked.get()).isEqualTo(7);

    NodeMetricsSnapshot m1 = n1.metrics();
    assertThat(m1.roomsAdministered()).isEqualTo(1);
    assertThat(m1.roomsJoined()).isEqualTo(1);
    assertThat(m1.dedupHits()).isEqualTo(1);
    assertThat(m1.twoPcCommitted()).isEqualTo(1);
    assertThat(m1.twoPcRolledBack()).isZero();
    await().untilAsserted(() -> assertThat(n1.metrics().members()).isEqualTo(2));
    // two joins and six distinct messages were sequenced and appended, the duplicate was not
    assertThat(admin.sequenced.get()).isEqualTo(8);
    assertThat(admin.appendedEntries.get()).isEqualTo(8);
    assertThat(admin.acked.get()).isZero();
    assertThat(m1.historyBacklog()).isZero();
    assertThat(m1.roomsStoreFailing()).isZero();
  }

  @Test
  void refusedSendsAreCountedByCode() {
    start();
    ChatNode n1 = cluster.node("n1");
    ChatNode n3 = cluster.node("n3");
    n1.createRoom("general").join();
    await().until(() -> n3.room("general").isPresent());
    Room room = n3.room("general").orElseThrow();

    assertThatThrownBy(() -> room.send(UserId.of("carol"), "not joined").join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_MEMBER));

    NodeMetricsSnapshot m = n3.metrics();
    assertThat(m.sendsRefused(ErrorCode.NOT_MEMBER)).isEqualTo(1);
    assertThat(m.sendsRefusedTotal()).isEqualTo(1);
    assertThat(m.sendsAccepted()).isZero();
    assertThat(m.sendsRefused()).containsOnlyKeys(ErrorCode.values());
    assertThatThrownBy(() -> m.sendsRefused().put(ErrorCode.TIMEOUT, 1L)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void aSilentPeerIsASuspicionAndAGoodbyeIsNot() {
    start();
    ChatNode n1 = cluster.node("n1");
    cluster.crash("n3");
    await().atMost(10, TimeUnit.SECONDS).until(() -> !n1.liveNodes().contains(NodeId.of("n3")));
    assertThat(n1.metrics().suspicions()).isEqualTo(1);

    cluster.node("n2").close(); // says goodbye
    await().atMost(10, TimeUnit.SECONDS).until(() -> n1.liveNodes().isEmpty());
    assertThat(n1.metrics().suspicions()).isEqualTo(1);
    assertThat(n1.metrics().livePeers()).isZero();
  }

  @Test
  void healthSaysWhatIsMissing() {
    start();
    for (ChatNode n : cluster.nodes()) {
      NodeHealth h = n.health();
      assertThat(h.ready()).as(h.problems().toString()).isTrue();
      assertThat(h.running() && h.transportListening() && h.seedsMet() && h.historyStoreReachable()).isTrue();
    }

    InMemoryNetwork net = new InMemoryNetwork(7);
    ChatNode lonely = ChatNode.builder().nodeId("lonely").transport(net.transport("lonely")).seeds("nobody").build();
    NodeHealth unstarted = lonely.health();
    assertThat(unstarted.ready()).isFalse();
    assertThat(unstarted.running()).isFalse();
    assertThat(unstarted.problems()).anyMatch(p -> p.contains("not started"));

    lonely.start();
    NodeHealth alone = lonely.health();
    assertThat(alone.running()).isTrue();
    assertThat(alone.transportListening()).isTrue();
    assertThat(alone.seedsMet()).isFalse();
    assertThat(alone.problems()).containsExactly("has not met its seeds yet, nor a majority of the nodes it knows (seeds [nobody])");

    lonely.close();
    assertThat(lonely.health().problems()).anyMatch(p -> p.contains("is closed"));
    assertThat(lonely.metrics().livePeers()).isZero();
  }

  @Test
  void aFailingHistoryStoreMakesTheNodeUnreadyUntilItRecovers() {
    ControlledHistoryStore store = new ControlledHistoryStore();
    cluster = InMemoryCluster.builder().nodes(1).configure(b -> b.history(store)).build().start();
    ChatNode n1 = cluster.node("n1");
    Room room = n1.createRoom("general").join();
    room.join(UserId.of("alice"), e -> {}).join();
    assertThat(n1.health().ready()).isTrue();

    store.failing(true);
    assertThatThrownBy(() -> room.send(UserId.of("alice"), "lost?", "c-1").join())
        .cause()
        .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
    NodeHealth failing = n1.health();
    assertThat(failing.historyStoreReachable()).isFalse();
    assertThat(failing.ready()).isFalse();
    assertThat(failing.problems()).containsExactly("the history store fails appends for 1 room(s)");
    NodeMetricsSnapshot m = n1.metrics();
    assertThat(m.roomsStoreFailing()).isEqualTo(1);
    assertThat(m.historyBacklog()).isEqualTo(1); // the entry keeps its seq and waits for the store
    assertThat(m.sendsRefused(ErrorCode.UNAVAILABLE)).isEqualTo(1);

    store.failing(false);
    await().atMost(10, TimeUnit.SECONDS).until(() -> n1.health().ready());
    assertThat(n1.metrics().roomsStoreFailing()).isZero();
    assertThat(n1.metrics().historyBacklog()).isZero();
  }

  @Test
  void aNullObserverIsABadRequest() {
    start();
    assertThatThrownBy(() -> cluster.node("n1").addMetricsObserver(null))
        .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST));
  }
}
