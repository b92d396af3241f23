package io.chatmesh;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.ClockDriver;
import io.chatmesh.time.ManualClock;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import io.chatmesh.wire.Vote;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Name reservations of a creator that dies are released by the survivors. */
class NameReservationTest {
  private final ManualClock clock = new ManualClock();
  private final ClockDriver driver = new ClockDriver(clock, Duration.ofSeconds(30), Duration.ofMillis(10));
  private InMemoryCluster cluster;

  @AfterEach
  void close() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aNameHeldForACreatorThatDiedCanBeTakenByASurvivor() {
    cluster =
        InMemoryCluster.builder()
            .nodes(3)
            .clock(clock)
            .seed(3)
            .configure(b -> b.heartbeatInterval(Duration.ofMillis(50))
                .failureTimeout(Duration.ofMillis(500))
                .prepareTimeout(Duration.ofSeconds(60)))
            .build()
            .start();
    driver.awaitUntil("cluster connected", cluster::connected);
    InMemoryNetwork network = cluster.network();
    AtomicInteger votesForN2 = new AtomicInteger();
    // n1 and n3 vote READY for n2's reservation (and hold the name); n2 never gets the votes
    network.filter((from, to, env) -> {
      if (env.message() instanceof Vote && to.equals("n2")) {
        votesForN2.incrementAndGet();
        return false;
      }
      return true;
    });
    cluster.node("n2").createRoom("general");
    driver.awaitUntil("n1 and n3 hold the name for n2", () -> votesForN2.get() == 2);
    cluster.crash("n2");
    network.filter(null);
    driver.awaitUntil("n2 declared dead", () -> !cluster.node("n1").liveNodes().contains(NodeId.of("n2"))
        && !cluster.node("n3").liveNodes().contains(NodeId.of("n2")));

    Room room = driver.result(cluster.node("n3").createRoom("general"));
    assertThat(room.admin()).isEqualTo(NodeId.of("n3"));
    driver.awaitUntil("n1 lists it", () -> cluster.node("n1").room("general").isPresent());
  }
}
