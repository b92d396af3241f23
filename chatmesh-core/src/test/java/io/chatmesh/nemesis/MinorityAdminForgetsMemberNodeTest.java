package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatMessage;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.testing.InMemoryCluster;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Seed 538 of the REPLICATED long run step by step (LOST, see KNOWN_VIOLATIONS.md, "F4"): the
 * admin is cut from every other node but keeps its lease, so it stays the admin. Declaring a member
 * node dead on the minority side, it keeps that node's users as members (it is "about to lose the
 * room, not its members") but stops sending entries to the node. After the heal the node's users
 * are still members - the node syncs and is told so - yet the admin never sends the node an entry
 * again: a member that stayed up gets what follows only when its node, hearing nothing for a
 * failure timeout, asks again, and misses the rest (the run ended before that).
 */
class MinorityAdminForgetsMemberNodeTest {
  @RegisterExtension
  final SteppedFailover sf = new SteppedFailover(538);
  private final SteppedCluster stepped = sf.stepped;
  private final InMemoryCluster cluster = sf.cluster;

  @Test
  void aMemberNodeForgottenOnTheMinoritySideGetsEntriesAgainAfterTheHeal() {
    Room admin = sf.startWithRoom("n1", "general");
    stepped.settle(() -> cluster.node("n2").room("general").isPresent());
    Room member = cluster.node("n2").room("general").orElseThrow();
    UserId bob = UserId.of("bob");
    sf.join(admin.join(bob, e -> { }));
    List<RoomEvent> alice = new CopyOnWriteArrayList<>();
    sf.join(member.join(UserId.of("alice"), alice::add));

    // the admin is alone (with its lease) until it declared the other nodes dead
    sf.isolateKeepingLease("n1");

    stepped.network.heal();
    stepped.settle(cluster::connected);
    stepped.settle(() -> false, 300); // n2 sees its admin again and asks where alice stands: a member
    Sent sent = sf.join(admin.send(bob, "after the heal", "c1"));

    // delivered live, well before a failure timeout of silence would make n2 ask again
    stepped.settle(() -> delivered(alice, sent.seq()), Nemesis.FAILURE_TIMEOUT.toMillis() / 2);
    assertThat(alice).as("alice, a member through n2 all along, gets seq " + sent.seq())
        .anyMatch(e -> e instanceof ChatMessage m && m.seq() == sent.seq());
  }

  private static boolean delivered(List<RoomEvent> events, long seq) {
    return events.stream().anyMatch(e -> e instanceof ChatMessage m && m.seq() == seq);
  }
}
