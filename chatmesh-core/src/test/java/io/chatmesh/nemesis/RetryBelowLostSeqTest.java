package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatException;
import io.chatmesh.ChatMessage;
import io.chatmesh.ErrorCode;
import io.chatmesh.Failover;
import io.chatmesh.JoinOptions;
import io.chatmesh.Joined;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.testing.InMemoryCluster;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Seed 2588 of the ADMIN_ONLY long run step by step (RETRY_SEQUENCED_TWICE, KNOWN_VIOLATIONS.md
 * "Seed 2588"): with {@link Failover.Acks#ADMIN_ONLY} the admin n1 sequences two sends of bob's
 * (x at 3, m at 4) that no replica gets and whose answers never reach bob's node; alice, a member
 * through n1 itself, gets both. n1 dies; n2 takes the room over after seq 2 (what its replicas
 * held), so x and m are lost at failover - what {@code Failover.Acks.ADMIN_ONLY} documents. Bob's
 * send of m timed out, so he retries it with its client id; the new admin never had m and
 * sequences it anew at 3, below the seq 4 it had in the lost epoch. The room's log then holds m
 * once, at 3; only the dead admin's member saw it at 4.
 *
 * <p>The same run recorded as a nemesis {@link History} shows m at two seqs, the newer epoch's
 * below the older one's: the checker must take that as the documented loss, not as a retry
 * sequenced twice by one log.
 */
class RetryBelowLostSeqTest {
  @RegisterExtension
  final SteppedFailover sf = new SteppedFailover(17, Failover.Acks.ADMIN_ONLY);
  private final SteppedCluster stepped = sf.stepped;
  private final InMemoryCluster cluster = sf.cluster;
  private final History h = new History(2588, "RetryBelowLostSeqTest");

  @Test
  void aMessageLostAtFailoverIsSequencedAgainBelowItsLostSeqByItsRetry() {
    h.failover = Failover.Acks.ADMIN_ONLY;
    Room viaAlice = sf.startWithRoom("n1", "general");
    recorded(h.invoke("create", "n1", null, "general", 0, ""), null);
    h.definiteCreations.add("general#1");
    History.Session alice = join(viaAlice, "n1", "alice");
    Room viaBob = cluster.node("n3").room("general").orElseThrow();
    History.Session bob = join(viaBob, "n3", "bob");
    stepped.settle(() -> false, 1_000); // the replicas hold both joins

    // from now on nothing n1 sends arrives: no Replicate, no answer to bob's node, no broadcast
    stepped.network.injector().filter((from, to, env) -> !from.equals("n1"));
    History.Op x = send(viaBob, "n3", "bob", "x", "cx");
    History.Op m = send(viaBob, "n3", "bob", "m", "cm");
    stepped.settle(() -> x.outcome != History.Outcome.PENDING && m.outcome != History.Outcome.PENDING, 3_000);
    assertThat(List.of(x.code, m.code)).as("bob's sends: the admin's answers never came").containsExactly(ErrorCode.TIMEOUT, ErrorCode.TIMEOUT);
    assertThat(positions(alice)).as("alice, through the admin itself, got both").containsExactly("x@3", "m@4");
    long lostEpoch = messages(alice).get(1).epoch();

    // n1 dies with them; n2 takes the room over after what its replicas held
    sf.crash("n1");
    alice.end("node n1 crashed");
    stepped.network.injector().filter(null);
    sf.leases.refuseAcquire("n3");
    stepped.settle(() -> bob.events.stream().anyMatch(e -> e instanceof RoomEvent.RoomAvailable a && a.admin().value().equals("n2")),
        Nemesis.FAILURE_TIMEOUT.toMillis() + 6 * Nemesis.LEASE.toMillis());
    sf.leases.heal("n3");
    assertThat(sf.join(viaBob.info()).admin().value()).as("the new admin").isEqualTo("n2");

    // bob's retry of m (its outcome was unknown) reaches the new admin, which never had m
    History.Op retry = send(viaBob, "n3", "bob", "m", "cm");
    retry.retryOf = m;
    stepped.settle(() -> retry.outcome != History.Outcome.PENDING);
    assertThat(retry.outcome).isEqualTo(History.Outcome.OK);
    assertThat(retry.seq).as("the retry is sequenced anew, at the first seq after the adopted log: below m's lost seq 4").isEqualTo(3);
    assertThat(retry.epoch).isGreaterThan(lostEpoch);
    assertThat(retry.duplicate).as("the new admin never had m: not a duplicate").isFalse();
    stepped.settle(() -> messages(bob).size() == 1, 2_000);
    assertThat(positions(bob)).containsExactly("m@3");
    assertThat(sf.history("n2", "general")).as("the room's log holds m once").extracting(ChatMessage::text, ChatMessage::seq)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("m", 3L));

    // the history shows m at 3 (the new epoch) and at 4 (the lost one): the loss ADMIN_ONLY documents
    List<Checker.Anomaly> found = Checker.check(h);
    assertThat(found).as(Checker.summary(found)).isEmpty();
  }

  private History.Session join(Room room, String node, String user) {
    History.Op op = h.invoke("join", node, user, "general", 1, JoinOptions.none().toString());
    History.Session s = new History.Session(h, op, JoinOptions.none(), -1);
    h.sessions.add(s);
    Joined j = sf.join(room.join(UserId.of(user), s));
    op.epoch = j.epoch();
    op.seq = j.seq();
    op.recovered = j.recovered();
    op.members = j.members();
    recorded(op, null);
    return s;
  }

  private History.Op send(Room room, String node, String user, String text, String cid) {
    History.Op op = h.invoke("send", node, user, "general", 1, "");
    op.text = text;
    op.clientId = cid;
    CompletableFuture<Sent> f = room.send(UserId.of(user), text, cid);
    f.whenComplete((s, e) -> {
      if (s != null) {
        op.epoch = s.epoch();
        op.seq = s.seq();
        op.duplicate = s.duplicate();
      }
      recorded(op, e);
    });
    return op;
  }

  /** Completes {@code op} as the nemesis's clients do. */
  private void recorded(History.Op op, @Nullable Throwable e) {
    if (e == null) {
      op.outcome = History.Outcome.OK;
    } else {
      op.code = ChatException.from(e).code();
      op.outcome = History.Outcome.FAILED;
    }
    op.completedTick = h.tick();
  }

  private static List<ChatMessage> messages(History.Session s) {
    return s.events.stream().filter(ChatMessage.class::isInstance).map(ChatMessage.class::cast).toList();
  }

  private static List<String> positions(History.Session s) {
    return messages(s).stream().map(m -> m.text() + "@" + m.seq()).toList();
  }
}
