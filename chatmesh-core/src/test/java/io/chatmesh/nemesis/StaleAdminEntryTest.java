package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatMessage;
import io.chatmesh.Failover;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.testing.InMemoryCluster;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Seed 1691 of the ADMIN_ONLY long run step by step (see KNOWN_VIOLATIONS.md, "Seed 1691"): with
 * {@link Failover.Acks#ADMIN_ONLY} an admin cut off from its replicas acknowledges an entry no
 * replica holds, then loses its lease; the next admin reuses that entry's seq for entries a majority
 * holds. When the old admin comes back and takes the room over again (epoch three), its log must be
 * the second admin's at that seq, not its own lost entry followed by the second admin's entries: a
 * log no admin ever had, which loses an entry a majority held and tells the members that got it
 * that it was lost.
 */
class StaleAdminEntryTest {
  @RegisterExtension
  final SteppedFailover sf = new SteppedFailover(23, Failover.Acks.ADMIN_ONLY);
  private final SteppedCluster stepped = sf.stepped;
  private final InMemoryCluster cluster = sf.cluster;

  @Test
  void anOldAdminsUnreplicatedEntryDoesNotComeBackWhenItTakesTheRoomOverAgain() {
    cluster.start();
    stepped.settle(cluster::connected);
    Room r = sf.join(cluster.node("n1").createRoom("general"));
    sf.join(r.join(UserId.of("alice"), e -> { }));
    Queue<RoomEvent> bobs = new ConcurrentLinkedQueue<>();
    Room viaBob = cluster.node("n3").room("general").orElseThrow();
    long bobJoined = sf.join(viaBob.join(UserId.of("bob"), bobs::add)).seq();
    stepped.settle(() -> false, 1_000); // the replicas hold both joins

    // epoch 1: n1 is cut off from the other nodes but keeps its lease: "old" is acked on n1 alone
    stepped.network.injector().partition(Set.of("n1"), Set.of("n2", "n3"));
    Sent old = sf.join(r.send(UserId.of("alice"), "old", "c1"));
    assertThat(old.seq()).isEqualTo(bobJoined + 1);

    // epoch 2: n1 loses its lease and steps down; n2 takes over (n3 refuses the lease) and reuses old's seq
    sf.leases.cut("n1");
    sf.leases.refuseAcquire("n3");
    stepped.settle(() -> availableAt(bobs, "n2"), Nemesis.FAILURE_TIMEOUT.toMillis() + 6 * Nemesis.LEASE.toMillis());
    sf.leases.heal("n3");
    Sent new1 = sf.join(viaBob.send(UserId.of("bob"), "new1", "c2"));
    Sent new2 = sf.join(viaBob.send(UserId.of("bob"), "new2", "c3"));
    assertThat(new1.seq()).as("the second admin reuses the lost entry's seq").isEqualTo(old.seq());
    assertThat(new1.epoch()).isGreaterThan(old.epoch());
    stepped.settle(() -> texts(bobs).contains("new2"));
    stepped.settle(() -> false, 1_000); // n3 holds new1 and new2 (with n2: a majority)

    // n1 comes back and follows n2 as a replica of the room
    stepped.network.injector().heal();
    sf.leases.heal("n1");
    stepped.settle(() -> false, 3_000);

    // epoch 3: n2 dies; n1 takes the room over (n3 refuses the lease)
    sf.leases.refuseAcquire("n3");
    sf.crash("n2");
    stepped.settle(() -> availableAt(bobs, "n1"), Nemesis.FAILURE_TIMEOUT.toMillis() + 6 * Nemesis.LEASE.toMillis());
    sf.leases.heal("n3");
    assertThat(sf.join(viaBob.info()).admin().value()).as("the third admin").isEqualTo("n1");
    Sent new3 = sf.join(viaBob.send(UserId.of("bob"), "new3", "c4"));
    assertThat(new3.seq()).isEqualTo(new2.seq() + 1);
    stepped.settle(() -> texts(bobs).contains("new3"), 5_000);

    assertThat(sf.history("n1", "general")).as("the room's log on its third admin")
        .extracting(ChatMessage::text).containsExactly("new1", "new2", "new3");
    assertThat(sf.history("n1", "general")).filteredOn(m -> m.seq() == new1.seq()).singleElement()
        .satisfies(m -> assertThat(m.epoch()).as("the epoch of the entry at the reused seq").isEqualTo(new1.epoch()));
    assertThat(bobs).as("bob got the log of the second admin, which a majority held: nothing of it was lost")
        .noneMatch(e -> e instanceof RoomEvent.MessagesLost);
    assertThat(texts(bobs)).containsExactly("new1", "new2", "new3");
  }

  private static boolean availableAt(Queue<RoomEvent> events, String admin) {
    return events.stream().anyMatch(e -> e instanceof RoomEvent.RoomAvailable a && a.admin().value().equals(admin));
  }

  private static List<String> texts(Queue<RoomEvent> events) {
    return events.stream().filter(ChatMessage.class::isInstance).map(e -> ((ChatMessage) e).text()).toList();
  }
}
