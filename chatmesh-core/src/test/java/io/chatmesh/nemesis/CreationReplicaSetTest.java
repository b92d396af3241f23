package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatMessage;
import io.chatmesh.Failover;
import io.chatmesh.Room;
import io.chatmesh.RoomSummary;
import io.chatmesh.UserId;
import io.chatmesh.wire.Replicate;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The replica set a room's name reservation carries (ADMIN_ONLY long run seeds 359, 597; see
 * KNOWN_VIOLATIONS.md, "Seeds 359, 597"): each node of the set is the room's replica from the
 * reservation's commit on, with an empty log, before any {@link Replicate} reaches it. These tests
 * check what that must not break, and that it holds with either acknowledgement rule: a creator
 * restarted without its disk is succeeded by a replica, the creator's late Replicate is followed as
 * before, and a replica that missed the room's deletion does not revive it (the deletion is fenced
 * at the lease backend).
 */
class CreationReplicaSetTest {
  private static final long UNTIL_TAKEN_OVER = Nemesis.FAILURE_TIMEOUT.toMillis() + 10 * Nemesis.LEASE.toMillis();

  @ParameterizedTest(name = "{0}")
  @EnumSource(Failover.Acks.class)
  void aReplicaThatGotNoReplicateSucceedsACreatorRestartedWithoutItsDisk(Failover.Acks acks) {
    try (SteppedFailover sf = new SteppedFailover(23, acks)) {
      sf.cluster.start();
      sf.stepped.settle(sf.cluster::connected);
      sf.stepped.network.filter((from, to, env) -> !(env.message() instanceof Replicate));
      sf.join(sf.cluster.node("n1").createRoom("general"));
      sf.awaitListedEverywhere("general"); // the commit reached n2 and n3 (their Replicates are dropped)
      sf.crash("n1");
      sf.stores.get("n1").fresh();
      sf.stepped.network.filter(null);
      sf.restart("n1");
      // until every node lists the room available under one admin other than n1 (right after the
      // restart, before anyone noticed it, every node may still list it under n1)
      sf.stepped.settle(() -> SteppedFailover.ALL.stream().allMatch(n -> sf.available(n, "general"))
          && SteppedFailover.ALL.stream().map(n -> sf.adminOf(n, "general")).distinct().count() == 1
          && !sf.adminOf("n1", "general").orElse("n1").equals("n1"), UNTIL_TAKEN_OVER);

      String admin = sf.adminOf("n1", "general").orElseThrow();
      assertThat(admin).as("the room's admin, as the restarted creator lists it").isIn("n2", "n3");
      // the room works under its new admin, for a user of the restarted creator's node
      Room r = sf.cluster.node("n1").room("general").orElseThrow();
      sf.join(r.join(UserId.of("bob"), e -> { }));
      assertThat(sf.join(r.send(UserId.of("bob"), "hello", "c1")).seq()).isPositive();
      assertThat(sf.history(admin, "general")).extracting(ChatMessage::text).contains("hello");
    }
  }

  @Test
  void theCreatorsLateReplicateIsFollowedAndItsEntriesSurviveATakeover() {
    try (SteppedFailover sf = new SteppedFailover(29)) {
      sf.cluster.start();
      sf.stepped.settle(sf.cluster::connected);
      sf.stepped.network.filter((from, to, env) -> !(env.message() instanceof Replicate));
      Room r = sf.join(sf.cluster.node("n1").createRoom("general"));
      sf.stepped.network.filter(null);
      // REPLICATED: the send is acked once a replica holds it, through the creator's Replicate
      sf.join(r.join(UserId.of("alice"), e -> { }));
      assertThat(sf.join(r.send(UserId.of("alice"), "kept", "c1")).seq()).isPositive();

      sf.crash("n1");
      sf.stepped.settle(() -> sf.adminOf("n2", "general").filter(a -> !a.equals("n1")).isPresent()
          && sf.available("n2", "general"), UNTIL_TAKEN_OVER);
      String admin = sf.adminOf("n2", "general").orElseThrow();
      assertThat(admin).isIn("n2", "n3");
      // the new admin answers history once its takeover completed (a read may fail UNAVAILABLE before)
      java.util.List<ChatMessage> read = sf.history(admin, "general");
      for (int i = 0; i < 10 && read.isEmpty(); i++) {
        read = sf.history(admin, "general"); // each read waits up to 3 s of clock time
      }
      assertThat(read).extracting(ChatMessage::text).contains("kept");
    }
  }

  @Test
  void aReplicaSetUpAtTheCreationThatMissedTheDeletionDoesNotReviveTheRoom() {
    try (SteppedFailover sf = new SteppedFailover(31)) {
      sf.cluster.start();
      sf.stepped.settle(sf.cluster::connected);
      sf.stepped.network.filter((from, to, env) -> !(env.message() instanceof Replicate));
      Room r = sf.join(sf.cluster.node("n1").createRoom("general"));
      assertThat(sf.adminOf("n3", "general")).contains("n1");
      // n3 (a replica since the creation, holding nothing else) is away while n1 deletes the room
      sf.stepped.network.injector().partition(Set.of("n3"), Set.of("n1", "n2"));
      sf.stepped.settle(() -> false, Nemesis.FAILURE_TIMEOUT.toMillis() + 500);
      sf.join(r.delete());
      sf.stepped.network.injector().heal();
      sf.stepped.network.filter(null);

      sf.stepped.settle(() -> SteppedFailover.ALL.stream().noneMatch(n -> sf.summary(n, "general").isPresent()), UNTIL_TAKEN_OVER);
      for (String n : SteppedFailover.ALL) {
        assertThat(sf.cluster.node(n).rooms()).as("rooms listed by " + n + " (n3 missed the deletion)")
            .extracting(RoomSummary::name).doesNotContain("general");
      }
      // the name is free again
      sf.stepped.settle(() -> sf.cluster.node("n3").liveNodes().size() == 2, Nemesis.FAILURE_TIMEOUT.toMillis() * 3);
      Room fresh = sf.join(sf.cluster.node("n3").createRoom("general"));
      sf.join(fresh.join(UserId.of("bob"), e -> { }));
      assertThat(sf.join(fresh.send(UserId.of("bob"), "after", "c2")).seq()).isPositive();
    }
  }
}
