package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatNode;
import io.chatmesh.ClusterListener;
import io.chatmesh.Joined;
import io.chatmesh.NodeId;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.UserId;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.ClockDriver;
import io.chatmesh.testkit.Recorder;
import io.chatmesh.time.ManualClock;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import io.chatmesh.wire.Decision;
import io.chatmesh.wire.DecisionQuery;
import io.chatmesh.wire.DirectoryUpdate;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.Goodbye;
import io.chatmesh.wire.Heartbeat;
import io.chatmesh.wire.Hello;
import io.chatmesh.wire.Lost;
import io.chatmesh.wire.Prepare;
import io.chatmesh.wire.SendRequest;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.TxKind;
import io.chatmesh.wire.Vote;
import io.chatmesh.wire.WireMessage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attacks between nodes, played by a stranger who reaches the network (an in-memory transport of
 * its own) and sends envelopes with forged contents. The transport vouches for nothing here (that
 * is mTLS's job, see the gRPC transport's tests), so the stranger may even claim a real node's id
 * and incarnation; these tests document what the engine refuses by itself: only a room's admin
 * speaks for its log, only a coordinator for its transaction, only the admin deletes a room, a node
 * announces only its own rooms, a node must greet before it is heard, a new incarnation needs a
 * hello, and a second process with a live node's id is refused.
 *
 * <p>Cluster: n1 administers {@code general}; alice joined through n1, bob through n2; n3 is a
 * third peer. Every check waits for a barrier that the engine handles after the forged envelope
 * (the in-memory network delivers a node's inbound envelopes in one queue).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PeerAttackTest {
  private final ManualClock clock = new ManualClock();
  private final ClockDriver driver = new ClockDriver(clock, Duration.ofSeconds(30), Duration.ofMillis(10));
  private final List<Envelope> strangerGot = new CopyOnWriteArrayList<>();
  private final List<NodeId> n1SawDown = new CopyOnWriteArrayList<>();
  private final List<String> barriers = new CopyOnWriteArrayList<>();
  private InMemoryCluster cluster;
  private InMemoryNetwork net;
  private Transport stranger;
  private Room general;
  private Joined bobJoined;
  private final Recorder alice = new Recorder();
  private final Recorder bob = new Recorder();
  private final AtomicInteger barrierCount = new AtomicInteger();

  @BeforeEach
  void cluster() {
    cluster =
        InMemoryCluster.builder()
            .nodes(3)
            .clock(clock)
            .configure(b -> b.heartbeatInterval(Duration.ofMillis(50))
                .failureTimeout(Duration.ofMillis(2000))
                .requestTimeout(Duration.ofMillis(2000))
                .prepareTimeout(Duration.ofMillis(1000)))
            .build()
            .start();
    driver.awaitUntil("cluster connected", cluster::connected);
    net = cluster.network();
    net.filter((from, to, env) -> {
      if (env.message() instanceof Decision d && d.txId().startsWith("n1/0/barrier-")) {
        barriers.add(d.txId());
      }
      return true;
    });
    general = driver.result(n("n1").createRoom("general"));
    driver.result(general.join(UserId.of("alice"), alice));
    Room onN2 = driver.room(n("n2"), "general");
    bobJoined = driver.result(onN2.join(UserId.of("bob"), bob));
    n("n1").addClusterListener(new ClusterListener() {
      @Override
      public void onNodeDown(NodeId node) {
        n1SawDown.add(node);
      }
    });
    stranger = net.transport("stranger");
    stranger.start(strangerGot::add);
  }

  @AfterEach
  void close() {
    stranger.close();
    cluster.close();
  }

  // ------------------------------------------------------------------ the room's log

  @Test
  void aForgedEntryAndAForgedLostFromANodeThatIsNotTheAdminAreNotDelivered() {
    long next = bobJoined.seq() + 1;
    Sequenced forged =
        new Sequenced("general", bobJoined.epoch(), next, EventKind.MESSAGE, UserId.of("alice"), "forged", "f1", clock.millis());
    forge("n2", "n3", forged);
    forge("n2", "n3", new Lost("general", bobJoined.epoch(), next, next + 1));
    driver.result(general.send(UserId.of("alice"), "real 1"));
    driver.result(general.send(UserId.of("alice"), "real 2"));
    driver.awaitUntil("bob got both real messages", () -> bob.texts().contains("real 2"));
    assertThat(bob.texts()).containsExactly("real 1", "real 2").doesNotContain("forged");
    assertThat(bob.of(RoomEvent.MessagesLost.class)).isEmpty();
  }

  @Test
  void aForgedSendForAUserWhoJoinedThroughAnotherNodeIsRefused() {
    forge("n1", "n3", new SendRequest(1, "general", UserId.of("bob"), "f1", "forged as bob"));
    forge("n1", "ghost", new SendRequest(2, "general", UserId.of("bob"), "f2", "forged by a ghost"));
    driver.result(driver.room(n("n2"), "general").send(UserId.of("bob"), "real"));
    driver.awaitUntil("alice got bob's real message", () -> alice.texts().contains("real"));
    assertThat(alice.texts()).containsExactly("real");
  }

  // ------------------------------------------------------------------ two-phase commit

  @Test
  void aForgedDeletionByANodeThatIsNotTheAdminIsVotedDownAndItsCommitIgnored() {
    String tx = "n3/" + incarnation("n3") + "/666";
    List<Vote> votes = new CopyOnWriteArrayList<>();
    net.filter((from, to, env) -> {
      if (env.message() instanceof Vote v && v.txId().equals(tx)) {
        votes.add(v);
      }
      return !(env.message() instanceof Decision d && d.txId().startsWith("n1/0/barrier-")) || barriers.add(d.txId());
    });
    forge("n1", "n3", new Prepare(tx, TxKind.DELETE_ROOM, "general"));
    driver.awaitUntil("n1 voted", () -> !votes.isEmpty());
    assertThat(votes.get(0).ready()).isFalse();
    forge("n1", "n3", new Decision(tx, true));
    // a ghost that never said hello tries too
    forge("n1", "ghost", new Prepare("ghost/1/1", TxKind.DELETE_ROOM, "general"));
    forge("n1", "ghost", new Decision("ghost/1/1", true));
    barrier("n1");
    driver.result(general.send(UserId.of("alice"), "still here"));
    driver.awaitUntil("bob got it", () -> bob.texts().contains("still here"));
    assertThat(n("n1").room("general")).isPresent();
    assertThat(bob.of(RoomEvent.RoomDeleted.class)).isEmpty();
    assertThat(alice.of(RoomEvent.RoomDeleted.class)).isEmpty();
  }

  @Test
  void aForgedReservationForANodeThatDoesNotExistOrForAnotherCoordinatorIsIgnored() {
    forge("n1", "ghost", new Prepare("ghost/1/1", TxKind.RESERVE_NAME, "squat"));
    forge("n1", "ghost", new Decision("ghost/1/1", true));
    // a real peer cannot commit a transaction of another coordinator either
    forge("n1", "n3", new Prepare("n2/1/1", TxKind.RESERVE_NAME, "squat2"));
    forge("n1", "n3", new Decision("n2/1/1", true));
    barrier("n1");
    assertThat(n("n1").room("squat")).isEmpty();
    assertThat(n("n1").room("squat2")).isEmpty();
    assertThat(driver.result(n("n1").createRoom("squat")).name()).isEqualTo("squat");
  }

  // ------------------------------------------------------------------ directory

  @Test
  void aDirectoryUpdateThatSpeaksForAnotherNodeIsRefused() {
    forge(
        "n1",
        "n3",
        new DirectoryUpdate(
            Long.MAX_VALUE,
            true,
            List.of(new DirectoryUpdate.Entry("fake", NodeId.of("n2"), 1, 0), new DirectoryUpdate.Entry("mine", NodeId.of("n3"), 1, 0)),
            List.of("general")));
    forge("n1", "ghost", new DirectoryUpdate(Long.MAX_VALUE, true, List.of(new DirectoryUpdate.Entry("ghostroom", NodeId.of("ghost"), 1, 0)), List.of()));
    barrier("n1");
    assertThat(n("n1").room("fake")).isEmpty();
    assertThat(n("n1").room("mine")).isEmpty(); // the whole update is refused
    assertThat(n("n1").room("ghostroom")).isEmpty();
    assertThat(n("n1").room("general")).isPresent();
  }

  @Test
  void anUpdateClaimingToComeFromTheReceivingNodeItselfIsRefused() {
    forge("n1", "n1", new DirectoryUpdate(Long.MAX_VALUE, true, List.of(new DirectoryUpdate.Entry("phantom", NodeId.of("n1"), 1, 0)), List.of()));
    barrier("n1");
    assertThat(n("n1").room("phantom")).isEmpty();
  }

  // ------------------------------------------------------------------ membership

  @Test
  void aHeartbeatWithAHugeOrNewIncarnationDoesNotDeclareTheRealNodeDead() {
    forge("n1", "n2", Long.MAX_VALUE, new Heartbeat());
    forge("n1", "n2", incarnation("n2") + 1, new Heartbeat()); // a restart must say hello
    barrier("n1");
    driver.awaitUntil("a few heartbeat rounds", heartbeatsFrom("n1", "n2", 5));
    assertThat(n1SawDown).isEmpty();
    assertThat(driver.result(general.info()).members()).contains(UserId.of("bob"));
  }

  @Test
  void aForgedGoodbyeWithoutTheRealIncarnationDoesNotEvictTheNode() {
    forge("n1", "n2", incarnation("n2") + 1, new Goodbye("bye"));
    forge("n1", "n2", incarnation("n2") - 1, new Goodbye("bye"));
    forge("n1", "ghost", new Goodbye("x".repeat(4 << 20) + "\nforged log line"));
    barrier("n1");
    assertThat(n1SawDown).isEmpty();
    assertThat(driver.result(general.info()).members()).contains(UserId.of("bob"));
  }

  @Test
  void aForgedHelloWithAnotherAddressForALiveNodeDoesNotDivertItsTraffic() {
    forge("n1", "n2", new Hello("stranger", false, List.of()));
    driver.awaitUntil("the stranger is told off", () -> strangerGot.stream().anyMatch(e -> e.message() instanceof Goodbye));
    driver.awaitUntil("n1 keeps sending heartbeats to the real n2", heartbeatsFrom("n1", "n2", 5));
    driver.result(general.send(UserId.of("alice"), "for bob"));
    driver.awaitUntil("bob got it", () -> bob.texts().contains("for bob"));
    assertThat(strangerGot).allSatisfy(e -> assertThat(e.message()).isInstanceOf(Goodbye.class));
    assertThat(((Goodbye) strangerGot.get(0).message()).reason()).contains("node id n2 is in use by a live node at n2");
    assertThat(n1SawDown).isEmpty();
  }

  @Test
  void aSecondProcessWithALiveNodesIdIsRefusedAndTheRealOneStays() {
    List<Goodbye> refusals = new CopyOnWriteArrayList<>();
    net.filter((from, to, env) -> {
      if (to.equals("n2-again") && env.message() instanceof Goodbye g) {
        refusals.add(g);
      }
      return true;
    });
    ChatNode again = ChatNode.builder().nodeId("n2").transport(net.transport("n2-again")).clock(clock).seeds("n1")
        .heartbeatInterval(Duration.ofMillis(50)).failureTimeout(Duration.ofMillis(2000)).build().start();
    try {
      driver.awaitUntil("the second n2 is refused", () -> !refusals.isEmpty());
      assertThat(refusals.get(0).reason()).contains("node id n2 is in use by a live node at n2").contains("its own node id");
      driver.awaitUntil("a few heartbeat rounds", heartbeatsFrom("n1", "n2", 5));
      assertThat(n1SawDown).isEmpty();
      assertThat(again.liveNodes()).isEmpty();
      assertThat(driver.result(general.info()).members()).contains(UserId.of("bob"));
      driver.result(general.send(UserId.of("alice"), "for the real bob"));
      driver.awaitUntil("the real bob got it", () -> bob.texts().contains("for the real bob"));
    } finally {
      again.close();
    }
  }

  // ------------------------------------------------------------------ helpers

  private ChatNode n(String name) {
    return cluster.node(name);
  }

  private long incarnation(String node) {
    return ((NodeEngine) n(node)).incarnation;
  }

  /** Sends {@code m} to {@code to} claiming to be {@code as}, with its real incarnation if it is a node. */
  private void forge(String to, String as, WireMessage m) {
    long inc = as.startsWith("n") ? incarnation(as) : 42;
    forge(to, as, inc, m);
  }

  private void forge(String to, String as, long incarnation, WireMessage m) {
    stranger.send(to, new Envelope(NodeId.of(as), incarnation, m));
  }

  /**
   * Waits until {@code to} handled everything the stranger sent before, on its node lane: a
   * decision query in n3's name is answered after them.
   */
  private void barrier(String to) {
    String id = "n1/0/barrier-" + barrierCount.incrementAndGet();
    forge(to, "n3", new DecisionQuery(id));
    driver.awaitUntil("barrier " + id, () -> barriers.contains(id));
  }

  private java.util.function.BooleanSupplier heartbeatsFrom(String from, String to, int count) {
    AtomicInteger seen = new AtomicInteger();
    net.filter((f, t, env) -> {
      if (f.equals(from) && t.equals(to) && env.message() instanceof Heartbeat) {
        seen.incrementAndGet();
      }
      if (env.message() instanceof Decision d && d.txId().startsWith("n1/0/barrier-")) {
        barriers.add(d.txId());
      }
      return true;
    });
    return () -> seen.get() >= count;
  }
}
