package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatMessage;
import io.chatmesh.Failover;
import io.chatmesh.NodeId;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.wire.HistoryReply;
import io.chatmesh.wire.Replicate;
import io.chatmesh.wire.RoomTail;
import io.chatmesh.wire.Sequenced;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Seed 1582 of the REPLICATED long run step by step (see KNOWN_VIOLATIONS.md, "Seed 1582"): bob,
 * the room's only member, joined through n3; an entry the admin n1 acknowledged (a majority holds
 * it) never reached n3's member role (a lossy link), and no replica knows it committed. When n3 becomes the admin, it adopts the entry after the committed seq,
 * replicates it again and releases it once a majority holds it. Its own member role must get it then:
 * bob gets every acknowledged entry, although no new entry follows to show him a gap.
 */
class OwnMembersAfterTakeoverTest {
  @RegisterExtension
  final SteppedFailover sf = new SteppedFailover(29);
  private final SteppedCluster stepped = sf.stepped;
  private final InMemoryCluster cluster = sf.cluster;

  /** n1 dies; n3 takes the room over (seed 1582's shape). */
  @Test
  void aMemberNodeThatTakesTheRoomOverDeliversTheAdoptedEntryItMissed() {
    Room r = setUp();
    Sent m = missedByBob(r, false);
    sf.crash("n1");
    sf.leases.refuseAcquire("n2");
    stepped.settle(() -> availableAt("n3"), Nemesis.FAILURE_TIMEOUT.toMillis() + 6 * Nemesis.LEASE.toMillis());
    sf.leases.heal("n2");
    assertThat(availableAt("n3")).as("n3 took the room over").isTrue();
    bobGets(m);
  }

  /** n1 moves the room to n3 (a planned move) before n3 learns that the entry is committed. */
  @Test
  void theTargetOfAMoveDeliversTheAdoptedEntryItMissed() {
    Room r = setUp();
    Sent m = missedByBob(r, true); // the target of a move holds every entry
    sf.join(r.moveTo(NodeId.of("n3")));
    stepped.settle(() -> availableAt("n3"), 5_000);
    assertThat(availableAt("n3")).as("the room moved to n3").isTrue();
    bobGets(m);
  }

  private final Queue<RoomEvent> bobs = new ConcurrentLinkedQueue<>();
  private long bobJoined;

  private Room setUp() {
    Room r = sf.startWithRoom("n1", "general");
    bobJoined = sf.join(cluster.node("n3").room("general").orElseThrow().join(UserId.of("bob"), bobs::add)).seq();
    stepped.settle(() -> false, 1_000); // every replica holds the join, and knows it committed
    return r;
  }

  /**
   * Bob sends "m", acknowledged (n1 and n2 hold it; n3 too if {@code n3HoldsIt}); n3 (lossy) gets
   * neither its broadcast nor a tail, and no replica learns that it is committed.
   */
  private Sent missedByBob(Room r, boolean n3HoldsIt) {
    stepped.network.injector().filter((from, to, env) -> {
      if (!from.equals("n1")) {
        return true;
      }
      if (env.message() instanceof Replicate rep) {
        return rep.committed() <= bobJoined && (n3HoldsIt || !to.equals("n3") || rep.entries().stream().allMatch(e -> e.seq() <= bobJoined));
      }
      // n3 takes over from its own tail and n2's: n1's answer to its Collect (n1 knows m committed) is lost too
      return !to.equals("n3") || !(env.message() instanceof Sequenced || env.message() instanceof RoomTail || env.message() instanceof HistoryReply);
    });
    Sent m = sf.join(cluster.node("n3").room("general").orElseThrow().send(UserId.of("bob"), "m", "c1"));
    assertThat(m.seq()).isEqualTo(bobJoined + 1);
    stepped.settle(() -> false, 1_000);
    assertThat(texts()).as("bob missed m").isEmpty();
    return m;
  }

  private void bobGets(Sent m) {
    stepped.network.injector().filter(null);
    stepped.settle(() -> texts().contains("m"), 5_000);
    assertThat(texts()).as("bob gets the acknowledged m (seq %d) from his own node, now the admin", m.seq()).containsExactly("m");
  }

  private boolean availableAt(String admin) {
    return bobs.stream().anyMatch(e -> e instanceof RoomEvent.RoomAvailable a && a.admin().value().equals(admin));
  }

  private List<String> texts() {
    return bobs.stream().filter(ChatMessage.class::isInstance).map(e -> ((ChatMessage) e).text()).toList();
  }
}
