package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatNode;
import io.chatmesh.Failover;
import io.chatmesh.NodeId;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.lease.InMemoryRoomLeases;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.ClockDriver;
import io.chatmesh.testkit.Recorder;
import io.chatmesh.time.ManualClock;
import io.chatmesh.wire.Collect;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.Handover;
import io.chatmesh.wire.HistoryReply;
import io.chatmesh.wire.Replicate;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.SendRequest;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.WireMessage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attacks on failover, played by a stranger on the network that forges envelopes in the name of a
 * real node (the in-memory transport vouches for nothing; mTLS would bind the id, but a compromised
 * or buggy member of the cluster can send the same). Only the holder of a room's lease may make a
 * replica promise a newer epoch or follow a newer admin: otherwise one forged message with a huge
 * epoch would make every replica refuse the real admin, which would step down.
 *
 * <p>Cluster: n1 administers {@code general} with replicas n2 and n3 (rf 3); alice joined through
 * n2. The stranger speaks as n3, which holds no lease.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FailoverAttackTest {
  private final ManualClock clock = new ManualClock();
  private final ClockDriver driver = new ClockDriver(clock, Duration.ofSeconds(30), Duration.ofMillis(10));
  private final InMemoryRoomLeases leases = new InMemoryRoomLeases(clock);
  private final List<Envelope> strangerGot = new CopyOnWriteArrayList<>();
  private final Recorder alice = new Recorder();
  private InMemoryCluster cluster;
  private Transport stranger;
  private Room general;

  @BeforeEach
  void cluster() {
    cluster =
        InMemoryCluster.builder()
            .nodes(3)
            .clock(clock)
            .configure(b -> b.heartbeatInterval(Duration.ofMillis(50))
                .failureTimeout(Duration.ofMillis(1000))
                .requestTimeout(Duration.ofMillis(2000))
                .prepareTimeout(Duration.ofMillis(1000))
                .failover(Failover.builder(leases)
                    .leaseDuration(Duration.ofMillis(2000))
                    .renewInterval(Duration.ofMillis(500))
                    .maxClockDrift(Duration.ofMillis(200))
                    .build()))
            .build()
            .start();
    driver.awaitUntil("cluster connected", cluster::connected);
    general = driver.result(n("n1").createRoom("general"));
    driver.result(driver.room(n("n2"), "general").join(UserId.of("alice"), alice));
    driver.result(driver.room(n("n2"), "general").send(UserId.of("alice"), "before"));
    stranger = cluster.network().transport("stranger");
    stranger.start(strangerGot::add);
  }

  @AfterEach
  void close() {
    stranger.close();
    cluster.close();
  }

  @Test
  void aCollectWithAHugeEpochFromANodeWithoutTheLeaseIsRefusedAndTheAdminStays() {
    List<HistoryReply> toN3 = new CopyOnWriteArrayList<>();
    cluster.network().filter((from, to, env) -> {
      if (env.message() instanceof HistoryReply h && h.requestId() == 77 && to.equals("n3")) {
        toN3.add(h);
      }
      return true;
    });
    forge("n2", "n3", new Collect(77, "general", Long.MAX_VALUE / 2, 0, 100));
    driver.awaitUntil("the forged collect answered (to n3, whose name it used)", () -> !toN3.isEmpty());
    HistoryReply reply = toN3.get(0);
    assertThat(reply.error()).isEqualTo(io.chatmesh.ErrorCode.NOT_ADMIN);
    assertThat(reply.message()).contains("lease");
    forge("n3", "n2", new Collect(78, "general", Long.MAX_VALUE / 2, 0, 100));
    assertTheRoomGoesOnAtN1();
  }

  @Test
  void aReplicateWithAHugeEpochFromANodeWithoutTheLeaseIsNotFollowed() {
    long epoch = Long.MAX_VALUE / 2;
    Sequenced forged = new Sequenced("general", epoch, 3, EventKind.MESSAGE, UserId.of("alice"), "forged", "f1", clock.millis());
    forge("n2", "n3", new Replicate("general", epoch, List.of(NodeId.of("n3"), NodeId.of("n2")), 3, 0, List.of(forged)));
    forge("n3", "n2", new Replicate("general", epoch, List.of(NodeId.of("n2"), NodeId.of("n3")), 3, 0, List.of(forged)));
    assertTheRoomGoesOnAtN1();
    assertThat(alice.texts()).doesNotContain("forged");
  }

  @Test
  void aForgedHandoverDoesNotMakeAReplicaTakeARoomWhoseLeaseIsHeld() {
    forge("n2", "n1", new Handover("general", 1));
    forge("n3", "n1", new Handover("general", Long.MAX_VALUE / 2));
    assertTheRoomGoesOnAtN1();
  }

  @Test
  void aSendReachingTheFormerAdminAfterAMoveIsRefusedAsRetryableNamingTheNewAdmin() {
    driver.result(general.moveTo(NodeId.of("n2")));
    driver.awaitUntil("n1 sees n2 as the admin", () -> n("n1").room("general").orElseThrow().admin().equals(NodeId.of("n2")));
    List<Reply> toN3 = new CopyOnWriteArrayList<>();
    cluster.network().filter((from, to, env) -> {
      if (env.message() instanceof Reply r && r.requestId() == 91 && to.equals("n3")) {
        toN3.add(r);
      }
      return true;
    });
    // a send n3 forwarded before it learnt of the move, arriving at the former admin
    forge("n1", "n3", new SendRequest(91, "general", UserId.of("alice"), "late-1", "late"));
    driver.awaitUntil("the former admin answered", () -> !toN3.isEmpty());
    assertThat(toN3.get(0).error()).isEqualTo(io.chatmesh.ErrorCode.UNAVAILABLE); // the room exists: retry, not UNKNOWN_ROOM
    assertThat(toN3.get(0).message()).contains("n2");
  }

  /** n1 still administers the room: several sends are acked and reach alice, nobody took it over. */
  private void assertTheRoomGoesOnAtN1() {
    for (int i = 0; i < 10; i++) {
      clock.advance(Duration.ofMillis(300)); // several ticks: replication heartbeats meet the replicas' promises
      Sent s = driver.result(driver.room(n("n2"), "general").send(UserId.of("alice"), "after " + i));
      assertThat(s.duplicate()).isFalse();
    }
    driver.awaitUntil("alice got them", () -> alice.texts().contains("after 9"));
    assertThat(alice.of(RoomEvent.RoomUnavailable.class)).isEmpty();
    for (String n : List.of("n1", "n2", "n3")) {
      assertThat(n(n).room("general").orElseThrow().admin()).isEqualTo(NodeId.of("n1"));
    }
    assertThat(general.admin()).isEqualTo(NodeId.of("n1"));
  }

  private ChatNode n(String name) {
    return cluster.node(name);
  }

  /** Sends {@code m} to {@code to} claiming to be {@code as}, with its real incarnation. */
  private void forge(String to, String as, WireMessage m) {
    stranger.send(to, new Envelope(NodeId.of(as), ((NodeEngine) n(as)).incarnation, m));
  }
}
