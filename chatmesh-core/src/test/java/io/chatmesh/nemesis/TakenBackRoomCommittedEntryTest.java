package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatMessage;
import io.chatmesh.Failover;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.wire.ReplicaAck;
import io.chatmesh.wire.Replicate;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Seed 2086 of the REPLICATED long run step by step (see KNOWN_VIOLATIONS.md, "Seed 2086"): an
 * entry acked with {@link Failover.Acks#REPLICATED} is held by every replica, which do not yet know
 * it committed (the admin's next message, which says so, is lost). The admin loses its lease and
 * takes its room back alone (its next grant directly follows its own). The replicas start following
 * it at its new epoch - and must keep the entry until the admin resends it (here it never does: their
 * acks are lost). When the admin then dies, a replica takes the room over with the other replica's
 * tail; the acked entry must be in the room's log under the new admin. It was lost: the replicas
 * dropped every entry not known committed at the new admin's first message, so the entry was held
 * by the admin alone.
 */
class TakenBackRoomCommittedEntryTest {
  @RegisterExtension
  final SteppedFailover sf = new SteppedFailover(37, Failover.Acks.REPLICATED);
  private final SteppedCluster stepped = sf.stepped;

  @Test
  void anEntryAckedBeforeTheAdminTookItsRoomBackAloneSurvivesTheNextTakeover() {
    Room r = sf.startWithRoom("n1", "general");
    sf.join(r.join(UserId.of("alice"), e -> { }));
    Queue<RoomEvent> bobs = new ConcurrentLinkedQueue<>();
    Room viaBob = sf.cluster.node("n3").room("general").orElseThrow();
    long bobJoined = sf.join(viaBob.join(UserId.of("bob"), bobs::add)).seq();
    stepped.settle(() -> false, 1_000); // the replicas hold both joins and know them committed

    // the admin's messages that would tell the replicas the next entry is committed are lost, and
    // so are the replicas' acks to any later epoch of n1's; n2 and n3 may not take the lease
    AtomicLong firstEpoch = new AtomicLong(Long.MAX_VALUE);
    AtomicBoolean secondTerm = new AtomicBoolean();
    Set<String> followedSecondTerm = ConcurrentHashMap.newKeySet();
    stepped.network.filter((from, to, env) -> {
      if (from.equals("n1") && env.message() instanceof Replicate rep) {
        if (rep.epoch() > firstEpoch.get()) {
          followedSecondTerm.add(to);
          return true;
        }
        return secondTerm.get() || rep.committed() <= bobJoined;
      }
      return !(to.equals("n1") && env.message() instanceof ReplicaAck a && a.epoch() > firstEpoch.get());
    });
    sf.leases.refuseAcquire("n2");
    sf.leases.refuseAcquire("n3");
    Sent kept = sf.join(r.send(UserId.of("alice"), "kept", "c1"));
    assertThat(kept.seq()).isEqualTo(bobJoined + 1);
    firstEpoch.set(kept.epoch());
    stepped.settle(() -> false, 500);

    // n1 loses its lease and steps down; its next grant follows its own: it takes the room back alone
    sf.leases.cut("n1");
    stepped.settle(() -> false, 4 * Nemesis.LEASE.toMillis());
    secondTerm.set(true);
    sf.leases.heal("n1");
    stepped.settle(() -> followedSecondTerm.containsAll(Set.of("n2", "n3")), 6 * Nemesis.LEASE.toMillis());
    assertThat(followedSecondTerm).as("replicas that got n1's second term's messages").contains("n2", "n3");
    stepped.settle(() -> false, 1_000);

    // n1 dies; n2 or n3 takes the room over with the other's tail
    sf.crash("n1");
    sf.leases.heal("n2");
    sf.leases.heal("n3");
    stepped.settle(() -> sf.adminOf("n3", "general").filter(a -> !a.equals("n1")).isPresent() && sf.available("n3", "general"),
        Nemesis.FAILURE_TIMEOUT.toMillis() + 10 * Nemesis.LEASE.toMillis());
    String admin = sf.adminOf("n3", "general").orElseThrow();
    assertThat(admin).isIn("n2", "n3");
    Sent after = sf.join(viaBob.send(UserId.of("bob"), "after", "c2"));
    assertThat(after.seq()).as("the new admin's log continues after the acked entry").isEqualTo(kept.seq() + 1);
    stepped.settle(() -> texts(bobs).contains("after"), 5_000);
    assertThat(sf.history(admin, "general")).as("the room's log on its new admin")
        .extracting(ChatMessage::text).containsExactly("kept", "after");
    assertThat(bobs).as("nothing bob got was lost").noneMatch(e -> e instanceof RoomEvent.MessagesLost);
    assertThat(texts(bobs)).containsExactly("kept", "after");
  }

  private static List<String> texts(Queue<RoomEvent> events) {
    return events.stream().filter(ChatMessage.class::isInstance).map(e -> ((ChatMessage) e).text()).toList();
  }
}
