package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatMessage;
import io.chatmesh.Failover;
import io.chatmesh.Joined;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.spi.history.HistoryEntry;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.wire.Replicate;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Seed 4056 of the ADMIN_ONLY long run (JOIN_LEAVE_ORDER "two joins in a row") step by step. The
 * room's only member, alice on n1, gets an entry that n1 acknowledged alone (ADMIN_ONLY) and never
 * replicated; n1 is cut off, n2 takes over after the replicated seq and adopts alice as a member.
 * Her node never re-attaches her, so at the end of the grace period n2 sequences NODE_FAILED for
 * her at the lost entry's seq - sent to no node: no member is left. She joins again through n2:
 * JOINED at the next seq. The room's log is right (join, message, NODE_FAILED, join); what the
 * members received is join, message, the lost entry (older epoch), join: the leave between went to
 * nobody. The checker tells the two apart only by what the stores hold ({@link
 * History#storedMembership}).
 */
class UnseenLeaveAtReusedSeqTest {
  private static final String ROOM = "general";
  private static final UserId ALICE = UserId.of("alice");

  @RegisterExtension
  final SteppedFailover sf = new SteppedFailover(4056, Failover.Acks.ADMIN_ONLY);
  private final SteppedCluster stepped = sf.stepped;
  private final InMemoryCluster cluster = sf.cluster;

  @Test
  void aMemberAdoptedAtTakeoverWhoseNodeNeverAttachesLeavesAtTheLostEntrysSeqAndHerRejoinFollows() {
    Room r = sf.startWithRoom("n1", ROOM);
    Queue<RoomEvent> onN1 = new ConcurrentLinkedQueue<>();
    Joined joined = sf.join(r.join(ALICE, onN1::add));
    Sent kept = sf.join(r.send(ALICE, "kept", "c1"));
    stepped.settle(() -> false, 1_000); // the replicas hold the join and "kept"

    // from now on no replica gets an entry after "kept" from n1; alice (on n1 itself) gets them
    stepped.network.injector().filter((from, to, env) -> !(from.equals("n1") && env.message() instanceof Replicate rep
        && rep.entries().stream().anyMatch(e -> e.seq() > kept.seq())));
    Sent lost = sf.join(r.send(ALICE, "lost", "c2"));
    stepped.settle(() -> texts(onN1).contains("lost"));

    // n1 is cut off (links and leases, as the nemesis's pause); n2 takes the room over
    sf.leases.cut("n1");
    sf.leases.refuseAcquire("n3");
    stepped.network.injector().filter(null);
    stepped.network.injector().pause("n1");
    stepped.settle(() -> sf.adminOf("n2", ROOM).orElse("").equals("n2") && sf.available("n2", ROOM),
        Nemesis.FAILURE_TIMEOUT.toMillis() + 6 * Nemesis.LEASE.toMillis());
    assertThat(sf.adminOf("n2", ROOM)).as("n2 took the room over").contains("n2");
    // alice's node does not re-attach her within the grace period: NODE_FAILED at the lost entry's seq
    stepped.settle(() -> stored("n2").size() > kept.seq(), 4 * Nemesis.FAILURE_TIMEOUT.toMillis() + 4 * Nemesis.LEASE.toMillis());

    Joined again = sf.join(cluster.node("n2").room(ROOM).orElseThrow().join(ALICE, e -> { }));
    List<HistoryEntry> log = stored("n2");
    assertThat(log).extracting(HistoryEntry::seq).containsExactly(joined.seq(), kept.seq(), lost.seq(), again.seq());
    assertThat(log.get(0).kind()).isEqualTo(HistoryEntry.Kind.JOINED);
    assertThat(log.get(2)).as("the lost entry's seq is reused by the new admin for alice's NODE_FAILED").satisfies(e -> {
      assertThat(e.kind()).isEqualTo(HistoryEntry.Kind.NODE_FAILED);
      assertThat(e.user()).isEqualTo(ALICE);
      assertThat(e.epoch()).isEqualTo(again.epoch()).isGreaterThan(lost.epoch());
    });
    assertThat(log.get(3).kind()).as("her join through n2 follows her leave").isEqualTo(HistoryEntry.Kind.JOINED);

    // n1 comes back: alice's session there is told she is no longer a member (no entry: seq 0)
    sf.leases.heal("n1");
    stepped.network.injector().resume("n1");
    stepped.settle(() -> onN1.stream().anyMatch(e -> e instanceof RoomEvent.MemberLeft), 4 * Nemesis.FAILURE_TIMEOUT.toMillis());
    List<RoomEvent.MemberLeft> left = onN1.stream().filter(RoomEvent.MemberLeft.class::isInstance).map(RoomEvent.MemberLeft.class::cast).toList();
    assertThat(left).hasSize(1);
    assertThat(left.get(0).reason()).isEqualTo(RoomEvent.LeaveReason.REMOVED);
    assertThat(left.get(0).seq()).isZero();
    assertThat(onN1).filteredOn(e -> e instanceof RoomEvent.MessagesLost).as("a removed member is not told of the loss").isEmpty();
  }

  private List<HistoryEntry> stored(String node) {
    return sf.stores.get(node).readAfter(ROOM, 0, 100);
  }

  private static List<String> texts(Queue<RoomEvent> events) {
    return events.stream().filter(ChatMessage.class::isInstance).map(e -> ((ChatMessage) e).text()).toList();
  }
}
