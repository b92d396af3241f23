package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatMessage;
import io.chatmesh.Failover;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.wire.Replicate;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Known violation F5 step by step (see KNOWN_VIOLATIONS.md, "Failover"): with {@link
 * Failover.Acks#ADMIN_ONLY} the admin acknowledges and broadcasts entries its replicas never got,
 * then dies; the next admin continues after the last replicated seq and reuses the lost entries'
 * seqs. A member that already received the lost entries must be told they are lost ({@link
 * RoomEvent.MessagesLost} naming the new epoch) and then get the new admin's entries at the reused
 * seqs, instead of skipping them as already delivered.
 */
class ReusedSeqDeliveryTest {
  @RegisterExtension
  final SteppedFailover sf = new SteppedFailover(17, Failover.Acks.ADMIN_ONLY);
  private final SteppedCluster stepped = sf.stepped;
  private final InMemoryCluster cluster = sf.cluster;

  /** Bob's node (n3) takes the room over: its member role follows its own admin role. */
  @Test
  void theMemberNodeTakesOver() {
    aMemberThatGotEntriesLostAtFailoverGetsTheEntriesReusingTheirSeqs("n3", "n3");
  }

  /** Another replica (n2) takes the room over: bob's node hears the new admin over the wire. */
  @Test
  void anotherReplicaTakesOver() {
    aMemberThatGotEntriesLostAtFailoverGetsTheEntriesReusingTheirSeqs("n3", "n2");
  }

  private void aMemberThatGotEntriesLostAtFailoverGetsTheEntriesReusingTheirSeqs(String bobsNode, String nextAdmin) {
    cluster.start();
    stepped.settle(cluster::connected);
    Room r = sf.join(cluster.node("n1").createRoom("general"));
    sf.join(r.join(UserId.of("alice"), e -> { }));
    Queue<RoomEvent> bobs = new ConcurrentLinkedQueue<>();
    Room viaBob = cluster.node(bobsNode).room("general").orElseThrow();
    long bobJoined = sf.join(viaBob.join(UserId.of("bob"), bobs::add)).seq();
    stepped.settle(() -> false, 1_000); // the replicas hold both joins

    // from now on no replica gets an entry from n1, but bob's node gets the broadcasts
    stepped.network.injector().filter((from, to, env) -> !(from.equals("n1") && env.message() instanceof Replicate rep
        && rep.entries().stream().anyMatch(e -> e.seq() > bobJoined)));
    Sent lost1 = sf.join(r.send(UserId.of("alice"), "lost1", "c1"));
    Sent lost2 = sf.join(r.send(UserId.of("alice"), "lost2", "c2"));
    stepped.settle(() -> texts(bobs).contains("lost2"));
    assertThat(texts(bobs)).containsExactly("lost1", "lost2");

    // n1 dies with them; nextAdmin takes over after bob's join and reuses their seqs
    sf.crash("n1");
    stepped.network.injector().filter(null);
    String other = nextAdmin.equals("n2") ? "n3" : "n2";
    sf.leases.refuseAcquire(other);
    stepped.settle(() -> bobs.stream().anyMatch(e -> e instanceof RoomEvent.RoomAvailable a && !a.admin().value().equals("n1")),
        Nemesis.FAILURE_TIMEOUT.toMillis() + 6 * Nemesis.LEASE.toMillis());
    sf.leases.heal(other);
    assertThat(sf.join(viaBob.info()).admin().value()).as("the new admin").isEqualTo(nextAdmin);
    Sent new1 = sf.join(viaBob.send(UserId.of("bob"), "new1", "c3"));
    Sent new2 = sf.join(viaBob.send(UserId.of("bob"), "new2", "c4"));
    Sent new3 = sf.join(viaBob.send(UserId.of("bob"), "new3", "c5"));
    assertThat(List.of(new1.seq(), new2.seq())).as("the new admin reuses the lost entries' seqs").containsExactly(lost1.seq(), lost2.seq());
    assertThat(new1.epoch()).isGreaterThan(lost1.epoch());
    stepped.settle(() -> texts(bobs).contains("new3"), 5_000);

    assertThat(texts(bobs)).as("bob gets every entry of the room's log after the failover").containsExactly("lost1", "lost2", "new1", "new2", "new3");
    List<RoomEvent> told = bobs.stream().filter(e -> e instanceof ChatMessage || e instanceof RoomEvent.MessagesLost).toList();
    assertThat(told.get(2)).as("between the lost entries and those reusing their seqs: what was lost")
        .isEqualTo(new RoomEvent.MessagesLost("general", new1.epoch(), lost1.seq(), lost2.seq()));
    assertThat(told.get(3)).isInstanceOfSatisfying(ChatMessage.class, m -> {
      assertThat(m.seq()).isEqualTo(new1.seq());
      assertThat(m.epoch()).isEqualTo(new1.epoch());
    });
    assertThat(told.get(5)).isInstanceOfSatisfying(ChatMessage.class, m -> assertThat(m.seq()).isEqualTo(new3.seq()));
  }

  private static List<String> texts(Queue<RoomEvent> events) {
    return events.stream().filter(ChatMessage.class::isInstance).map(e -> ((ChatMessage) e).text()).toList();
  }
}
