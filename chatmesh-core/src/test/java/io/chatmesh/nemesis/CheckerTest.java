package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatMessage;
import io.chatmesh.JoinOptions;
import io.chatmesh.RoomEvent;
import io.chatmesh.RoomListener;
import io.chatmesh.UserId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The checker's own test: a deliberately broken engine behaviour is caught, and the same runs
 * without the breakage are clean (so what is caught is the breakage, not noise). The breakages sit
 * between the engine and the recorded history (a listener wrapper that duplicates, reorders or
 * drops what the engine delivers: the last stands for a member that delivers past a gap without
 * waiting for it or reporting it lost), and inside the engine: every node built with a sequencer
 * whose dedup window is skipped ({@link NoDedupSequencer}), so retries are sequenced again.
 */
class CheckerTest {
  private static final int SEEDS = 4;
  private static final int STEPS = 25;

  private static List<Checker.Anomaly> runs(UnaryOperator<RoomListener> listeners, boolean brokenDedup) {
    List<Checker.Anomaly> all = new ArrayList<>();
    for (long seed = 1; seed <= SEEDS; seed++) {
      all.addAll(Checker.check(Nemesis.run(new Nemesis.Config(seed, STEPS, Set.of(), Nemesis.Moves.SEQUENTIAL, true, listeners, brokenDedup))));
    }
    return all;
  }

  private static List<Checker.Kind> kinds(List<Checker.Anomaly> anomalies) {
    return anomalies.stream().map(Checker.Anomaly::kind).distinct().toList();
  }

  @Test
  void theSameRunsWithoutABreakageAreClean() {
    List<Checker.Anomaly> found = runs(l -> l, false);
    assertThat(found).as(Checker.summary(found)).isEmpty();
  }

  @Test
  void aListenerGettingEveryThirdMessageTwiceIsCaught() {
    UnaryOperator<RoomListener> dup = l -> {
      int[] n = {0};
      return e -> {
        l.onEvent(e);
        if (e instanceof ChatMessage && ++n[0] % 3 == 0) {
          l.onEvent(e);
        }
      };
    };
    assertThat(kinds(runs(dup, false))).contains(Checker.Kind.DUPLICATED);
  }

  @Test
  void aListenerGettingMessagesPairwiseSwappedIsCaught() {
    UnaryOperator<RoomListener> swap = l -> {
      RoomEvent[] held = {null};
      return e -> {
        if (e instanceof ChatMessage && held[0] == null) {
          held[0] = e;
          return;
        }
        l.onEvent(e);
        if (held[0] != null) {
          l.onEvent(held[0]);
          held[0] = null;
        }
      };
    };
    assertThat(kinds(runs(swap, false))).contains(Checker.Kind.REORDERED);
  }

  @Test
  void aListenerMissingEverySecondMessageIsCaughtAsAGap() {
    UnaryOperator<RoomListener> drop = l -> {
      int[] n = {0};
      return e -> {
        if (!(e instanceof ChatMessage && ++n[0] % 2 == 0)) {
          l.onEvent(e);
        }
      };
    };
    assertThat(kinds(runs(drop, false))).contains(Checker.Kind.GAP);
  }

  @Test
  void aDedupThatDoesNotRecogniseRetriesIsCaught() {
    assertThat(kinds(runs(l -> l, true))).contains(Checker.Kind.RETRY_SEQUENCED_TWICE);
  }

  // ------------------------------------------------------------------ synthetic histories

  private static History history() {
    return new History(99, "replay-99");
  }

  private static History.Op ok(History h, String kind, String node, String user, String room, int label, long seq) {
    History.Op op = h.invoke(kind, node, user, room, label, "");
    op.outcome = History.Outcome.OK;
    op.epoch = 1;
    op.seq = seq;
    op.completedTick = h.tick();
    return op;
  }

  @Test
  void twoAdminsListedForOneNameAreTwoLiveRoomsAndADeletedRoomStillListedIsAMixedOutcome() {
    History h = history();
    ok(h, "create", "n1", null, "a", 0, 0);
    ok(h, "create", "n3", null, "a", 1, 0);
    ok(h, "create", "n2", null, "b", 0, 0);
    ok(h, "delete", "n2", null, "b", 1, 0);
    h.finalDirectory.addAll(List.of(
        new History.DirectoryEntry("n1", "a", "n1", true),
        new History.DirectoryEntry("n2", "a", "n1", true),
        new History.DirectoryEntry("n3", "a", "n3", true),
        new History.DirectoryEntry("n1", "b", "n2", true)));
    List<Checker.Anomaly> found = Checker.check(h);
    assertThat(found).filteredOn(a -> a.room().equals("a")).extracting(Checker.Anomaly::kind).containsOnly(Checker.Kind.TWO_ROOMS_ONE_NAME);
    assertThat(found).filteredOn(a -> a.room().equals("b")).extracting(Checker.Anomaly::kind).contains(Checker.Kind.MIXED_2PC);
    assertThat(found.get(0).toString()).contains("seed=99").contains("replay-99");
  }

  @Test
  void aNodeWhoseDirectoryIsEmptyAtTheEndStillCountsForTheRoomsTheOthersList() {
    History h = history();
    ok(h, "create", "n2", null, "a", 0, 0);
    // n2 (the admin, restarted without its disk) lists nothing; n1 and n3 list 'a' unavailable
    h.finalNodes.addAll(List.of("n1", "n2", "n3"));
    h.finalDirectory.addAll(List.of(
        new History.DirectoryEntry("n1", "a", "n2", false),
        new History.DirectoryEntry("n3", "a", "n2", false)));
    List<Checker.Anomaly> found = Checker.check(h);
    assertThat(found).filteredOn(a -> a.room().equals("a")).extracting(Checker.Anomaly::detail).contains(
        "listed by {n1=n2 (unavailable), n3=n2 (unavailable)} but not by the other nodes of [n1, n2, n3]",
        "n1 lists admin n2, which does not list the room",
        "n1 still lists it unavailable though n2 is up");
  }

  @Test
  void aWrongAckAMessageNeverSentAndALostMessageAreReportedWithTheirSeqs() {
    History h = history();
    ok(h, "create", "n1", null, "a", 0, 0);
    History.Op join = ok(h, "join", "n2", "u1", "a", 1, 1);
    History.Session s = new History.Session(h, join, JoinOptions.none(), -1);
    h.sessions.add(s);
    History.Op send = ok(h, "send", "n2", "u1", "a", 1, 3);
    send.text = "m1";
    History.Op lost = ok(h, "send", "n2", "u1", "a", 1, 4);
    lost.text = "m2";
    s.onEvent(new RoomEvent.MemberJoined("a", 1, 1, UserId.of("u1"), 0));
    s.onEvent(new ChatMessage("a", 1, 2, UserId.of("u1"), "m1", null, 0));
    s.onEvent(new ChatMessage("a", 1, 3, UserId.of("u9"), "never sent", null, 0));
    List<Checker.Anomaly> found = Checker.check(h);
    assertThat(found).extracting(Checker.Anomaly::kind, Checker.Anomaly::seqs).contains(
        org.assertj.core.groups.Tuple.tuple(Checker.Kind.WRONG_ACK, "3"),
        org.assertj.core.groups.Tuple.tuple(Checker.Kind.UNEXPECTED, "3"),
        org.assertj.core.groups.Tuple.tuple(Checker.Kind.LOST, "4"));
    assertThat(found).filteredOn(a -> a.kind() == Checker.Kind.LOST).first().extracting(Checker.Anomaly::firstOp).asString()
        .contains("op#" + lost.id);
  }

  /**
   * A join of a user who already is a member is acked at the first seq its session receives (no
   * join event of its own): accepted where the log shows the user a member, or where an unobserved
   * seq before it may hold the join event of an earlier join that did not definitely fail; a
   * wrong ack otherwise.
   */
  @Test
  void aJoinAckedWithoutItsOwnEventNeedsTheUserToBeAMemberBefore() {
    assertThat(joinAckedAt3(true, false)).as("u1 joined at 1 (observed)").isEmpty();
    assertThat(joinAckedAt3(false, true)).as("seq 1 unobserved, an earlier join of u1 timed out").isEmpty();
    assertThat(joinAckedAt3(false, false)).as("seq 1 unobserved, no earlier join of u1")
        .extracting(Checker.Anomaly::kind, Checker.Anomaly::seqs)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(Checker.Kind.WRONG_ACK, "3"));
  }

  /** u2 joins at 2 and is seen at 2..3 by its session; u1's join through n3 is acked at 3 (a message of u2). */
  private static List<Checker.Anomaly> joinAckedAt3(boolean seq1Observed, boolean earlierTimedOutJoin) {
    History h = history();
    ok(h, "create", "n1", null, "a", 0, 0);
    if (earlierTimedOutJoin) {
      History.Op timedOut = h.invoke("join", "n2", "u1", "a", 1, "");
      timedOut.outcome = History.Outcome.FAILED;
      timedOut.code = io.chatmesh.ErrorCode.TIMEOUT;
    }
    History.Op first = seq1Observed ? ok(h, "join", "n2", "u1", "a", 1, 1) : null;
    History.Op u2 = ok(h, "join", "n1", "u2", "a", 1, 2);
    History.Session s2 = new History.Session(h, u2, JoinOptions.none(), -1);
    h.sessions.add(s2);
    if (first != null) {
      History.Session s1 = new History.Session(h, first, JoinOptions.none(), -1);
      h.sessions.add(s1);
      s1.onEvent(new RoomEvent.MemberJoined("a", 1, 1, UserId.of("u1"), 0));
      s1.onEvent(new RoomEvent.MemberJoined("a", 1, 2, UserId.of("u2"), 0));
      s1.onEvent(new ChatMessage("a", 1, 3, UserId.of("u2"), "m1", null, 0));
    }
    ok(h, "join", "n3", "u1", "a", 1, 3);
    History.Op send = ok(h, "send", "n1", "u2", "a", 1, 3);
    send.text = "m1";
    s2.onEvent(new RoomEvent.MemberJoined("a", 1, 2, UserId.of("u2"), 0));
    s2.onEvent(new ChatMessage("a", 1, 3, UserId.of("u2"), "m1", null, 0));
    return Checker.check(h);
  }

  @Test
  void aJoinThroughOneMoreNodeAckedAtTheLivePositionIsAWrongAckOnlyWithoutAnEarlierJoinNobodySaw() {
    for (boolean earlierJoinTimedOut : new boolean[] {true, false}) {
      History h = history();
      ok(h, "create", "n1", null, "a", 0, 0);
      History.Op watcher = ok(h, "join", "n3", "u2", "a", 1, 2);
      if (earlierJoinTimedOut) {
        History.Op first = h.invoke("join", "n2", "u1", "a", 1, "");
        first.outcome = History.Outcome.FAILED;
        first.code = io.chatmesh.ErrorCode.TIMEOUT; // took effect at seq 1, which no member received
        first.completedTick = h.tick();
      }
      History.Op again = ok(h, "join", "n1", "u1", "a", 1, 3); // one more node: acked at the live position
      History.Op send = ok(h, "send", "n1", "u1", "a", 1, 3);
      send.text = "m1";
      History.Session s = new History.Session(h, watcher, JoinOptions.none(), -1);
      h.sessions.add(s);
      s.onEvent(new RoomEvent.MemberJoined("a", 1, 2, UserId.of("u2"), 0));
      s.onEvent(new ChatMessage("a", 1, 3, UserId.of("u1"), "m1", null, 0));
      List<Checker.Anomaly> wrongAcks =
          Checker.check(h).stream().filter(x -> x.kind() == Checker.Kind.WRONG_ACK).toList();
      if (earlierJoinTimedOut) {
        assertThat(wrongAcks).as(Checker.summary(wrongAcks)).isEmpty();
      } else {
        assertThat(wrongAcks).extracting(Checker.Anomaly::firstOp).asString().contains("op#" + again.id);
      }
    }
  }
  /**
   * Seed 41 of the long run (V14): a join through one more node is acked at the live position (no
   * join event of its own), and the entry at that very seq is the user's removal (its new node
   * declared dead): the session was told its removal, so nothing after it is owed to it.
   */
  @Test
  void anOwnRemovalAtTheSeqOfAJoinThroughOneMoreNodeEndsWhatTheSessionIsOwed() {
    History h = history();
    ok(h, "create", "n1", null, "a", 0, 0);
    History.Op watcher = ok(h, "join", "n1", "u2", "a", 1, 1);
    History.Op first = ok(h, "join", "n2", "u1", "a", 1, 2);
    History.Op again = ok(h, "join", "n3", "u1", "a", 1, 3); // one more node: acked at the live position
    History.Session s1 = new History.Session(h, first, JoinOptions.none(), -1);
    History.Session s2 = new History.Session(h, watcher, JoinOptions.none(), -1);
    History.Session s3 = new History.Session(h, again, JoinOptions.none(), -1);
    h.sessions.addAll(List.of(s1, s2, s3));
    s1.onEvent(new RoomEvent.MemberJoined("a", 1, 2, UserId.of("u1"), 0));
    s1.end("leave"); // through n2; still a member through n3: no entry
    History.Op send = ok(h, "send", "n1", "u2", "a", 1, 4);
    send.text = "m1";
    RoomEvent.MemberLeft removal = new RoomEvent.MemberLeft("a", 1, 3, UserId.of("u1"), RoomEvent.LeaveReason.NODE_FAILED, 0);
    for (RoomEvent e : List.<RoomEvent>of(new RoomEvent.MemberJoined("a", 1, 1, UserId.of("u2"), 0),
        new RoomEvent.MemberJoined("a", 1, 2, UserId.of("u1"), 0), removal, new ChatMessage("a", 1, 4, UserId.of("u2"), "m1", null, 0))) {
      s2.onEvent(e);
    }
    s3.onEvent(removal);
    List<Checker.Anomaly> found = Checker.check(h);
    assertThat(found).as(Checker.summary(found)).isEmpty();
  }

  // ------------------------------------------------------------------ failover

  /**
   * A room failed over from epoch 1 to epoch 2: u2's session on the old admin's node got m1 at seq
   * 3 (acked there) before that node crashed, the new admin sequenced m2 at seq 3 again; u1's
   * session, on the new lineage, got m2 at 3 and m3 at 4. One log across epochs: REPLICATED forbids the reuse, ADMIN_ONLY allows it
   * (m1 was acked by the admin alone and lost at failover), and a seq delivered twice within one
   * epoch stays DUPLICATED either way.
   */
  /** A send of {@code text} in room a#1 acked at {@code seq} by the admin of {@code epoch}. */
  private static void sent(History h, String node, String user, long seq, String text, long epoch) {
    History.Op op = ok(h, "send", node, user, "a", 1, seq);
    op.text = text;
    op.epoch = epoch;
  }

  private static History failedOver(io.chatmesh.Failover.Acks acks, boolean reorderWithinAnEpoch) {
    History h = history();
    h.failover = acks;
    ok(h, "create", "n1", null, "a", 0, 0);
    History.Op j1 = ok(h, "join", "n2", "u1", "a", 1, 1);
    History.Op j2 = ok(h, "join", "n1", "u2", "a", 1, 2);
    sent(h, "n1", "u2", 3, "m1", 1);
    sent(h, "n2", "u1", 3, "m2", 2);
    sent(h, "n2", "u1", 4, "m3", 2);
    History.Session s1 = new History.Session(h, j1, JoinOptions.none(), -1);
    History.Session s2 = new History.Session(h, j2, JoinOptions.none(), -1);
    h.sessions.addAll(List.of(s1, s2));
    s1.onEvent(new RoomEvent.MemberJoined("a", 1, 1, UserId.of("u1"), 0));
    s1.onEvent(new RoomEvent.MemberJoined("a", 1, 2, UserId.of("u2"), 0));
    s2.onEvent(new RoomEvent.MemberJoined("a", 1, 2, UserId.of("u2"), 0));
    s2.onEvent(new ChatMessage("a", 1, 3, UserId.of("u2"), "m1", null, 0));
    s2.end("node n1 crashed"); // the old admin's node: its sessions end with it
    s1.onEvent(new RoomEvent.RoomAvailable("a", io.chatmesh.NodeId.of("n2"), 2));
    s1.onEvent(new ChatMessage("a", 2, 3, UserId.of("u1"), "m2", null, 0));
    s1.onEvent(new ChatMessage("a", 2, 4, UserId.of("u1"), "m3", null, 0));
    if (reorderWithinAnEpoch) {
      s1.onEvent(new ChatMessage("a", 2, 4, UserId.of("u1"), "m3", null, 0));
    }
    return h;
  }

  @Test
  void withFailoverASeqReusedByALaterEpochDivergesUnderReplicatedAcksAndIsAllowedUnderAdminOnly() {
    List<Checker.Anomaly> replicated = Checker.check(failedOver(io.chatmesh.Failover.Acks.REPLICATED, false));
    assertThat(kinds(replicated)).as(Checker.summary(replicated)).contains(Checker.Kind.DIVERGING, Checker.Kind.WRONG_ACK, Checker.Kind.LOST);
    List<Checker.Anomaly> adminOnly = Checker.check(failedOver(io.chatmesh.Failover.Acks.ADMIN_ONLY, false));
    assertThat(adminOnly).as(Checker.summary(adminOnly)).isEmpty();
    List<Checker.Anomaly> reordered = Checker.check(failedOver(io.chatmesh.Failover.Acks.ADMIN_ONLY, true));
    assertThat(kinds(reordered)).as(Checker.summary(reordered)).contains(Checker.Kind.DUPLICATED);
  }

  /**
   * ADMIN_ONLY: u1@n1 and u2@n3 joined at 1 and 2 (epoch 1); n1 acks m1 at 3 (epoch 1), which u1
   * gets, and n1 crashes; n2 acks m2 at 3 and m3 at each of {@code m3At} (epoch 2). Returns u2's
   * session, which got its own join.
   */
  private static History.Session m1LostAtFailover(History h, List<Long> m3At) {
    h.failover = io.chatmesh.Failover.Acks.ADMIN_ONLY;
    ok(h, "create", "n1", null, "a", 0, 0);
    History.Op j1 = ok(h, "join", "n1", "u1", "a", 1, 1);
    History.Op j2 = ok(h, "join", "n3", "u2", "a", 1, 2);
    sent(h, "n1", "u1", 3, "m1", 1);
    sent(h, "n3", "u2", 3, "m2", 2);
    m3At.forEach(seq -> sent(h, "n3", "u2", seq, "m3", 2));
    History.Session s1 = new History.Session(h, j1, JoinOptions.none(), -1);
    History.Session s2 = new History.Session(h, j2, JoinOptions.none(), -1);
    h.sessions.addAll(List.of(s1, s2));
    s1.onEvent(new RoomEvent.MemberJoined("a", 1, 1, UserId.of("u1"), 0));
    s1.onEvent(new RoomEvent.MemberJoined("a", 1, 2, UserId.of("u2"), 0));
    s1.onEvent(new ChatMessage("a", 1, 3, UserId.of("u1"), "m1", null, 0));
    s1.end("node n1 crashed"); // the old admin's node: its sessions end with it (it may restart with its store)
    s2.onEvent(new RoomEvent.MemberJoined("a", 1, 2, UserId.of("u2"), 0));
    return s2;
  }

  /** How a member that got the entry lost at failover (m1 at epoch 1, seq 3) goes on. */
  private enum AfterLoss { TOLD_AND_TAKEN_AGAIN, TAKEN_AGAIN_UNTOLD, SKIPPED }

  /**
   * ADMIN_ONLY: n1 acks m1 at 3 (epoch 1) and dies; u2@n3 got m1; n2 takes over after seq 2 and
   * puts m2, m3 at 3 and 4 (epoch 2); u2 goes on as {@code after} says.
   */
  private static History memberThatGotTheLostEntry(AfterLoss after) {
    History h = history();
    History.Session s2 = m1LostAtFailover(h, List.of(4L));
    s2.onEvent(new ChatMessage("a", 1, 3, UserId.of("u1"), "m1", null, 0));
    s2.onEvent(new RoomEvent.RoomAvailable("a", io.chatmesh.NodeId.of("n2"), 2));
    if (after == AfterLoss.TOLD_AND_TAKEN_AGAIN) {
      s2.onEvent(new RoomEvent.MessagesLost("a", 2, 3, 3));
    }
    if (after != AfterLoss.SKIPPED) {
      s2.onEvent(new ChatMessage("a", 2, 3, UserId.of("u2"), "m2", null, 0));
    }
    s2.onEvent(new ChatMessage("a", 2, 4, UserId.of("u2"), "m3", null, 0));
    // the room's log as a history read through n2 shows it
    ok(h, "history", "n2", "u2", "a", 1, 0).page = List.of(
        new ChatMessage("a", 2, 3, UserId.of("u2"), "m2", null, 0), new ChatMessage("a", 2, 4, UserId.of("u2"), "m3", null, 0));
    return h;
  }

  @Test
  void withAdminOnlyAMemberThatGotAnEntryLostAtFailoverMustBeToldAndGetTheEntryReusingItsSeq() {
    List<Checker.Anomaly> told = Checker.check(memberThatGotTheLostEntry(AfterLoss.TOLD_AND_TAKEN_AGAIN));
    assertThat(told).as(Checker.summary(told)).isEmpty();
    List<Checker.Anomaly> untold = Checker.check(memberThatGotTheLostEntry(AfterLoss.TAKEN_AGAIN_UNTOLD));
    assertThat(kinds(untold)).as(Checker.summary(untold)).containsExactly(Checker.Kind.DUPLICATED);
    List<Checker.Anomaly> skipped = Checker.check(memberThatGotTheLostEntry(AfterLoss.SKIPPED));
    assertThat(kinds(skipped)).as(Checker.summary(skipped)).contains(Checker.Kind.LOST, Checker.Kind.DIVERGING);
  }

  /** What a node stored at seq 3 of room a under epoch 2 (seed 4056's shape below). */
  private enum StoredAt3 { NODE_FAILED_OF_U6, NOTHING, NODE_FAILED_OF_ANOTHER_USER }

  /**
   * Seed 4056 of the ADMIN_ONLY long run: u6@n1 joined at 1 and sent m2 at 2 and m3 at 3 (acked by
   * n1 alone, epoch 1); n1 is cut off and n2 takes the room over after seq 2 (m3 is lost). u6 is
   * adopted as a member, its node never attaches, so at the end of the grace period n2 sequences
   * NODE_FAILED for u6 at 3 (epoch 2) - sent to no node: u6 was the only member. u6@n1 learns of n2
   * and is REMOVED (seq 0); u6 joins again through n2, JOINED at 4. The members saw join (1), m2,
   * m3 (epoch 1), join (4, epoch 2): two joins in a row, unless a store shows the NODE_FAILED at 3.
   */
  private static History leaveNoMemberGot(io.chatmesh.Failover.Acks acks, StoredAt3 stored) {
    History h = history();
    h.failover = acks;
    ok(h, "create", "n1", null, "a", 0, 0);
    History.Op j1 = ok(h, "join", "n1", "u6", "a", 1, 1);
    sent(h, "n1", "u6", 2, "m2", 1);
    sent(h, "n1", "u6", 3, "m3", 1);
    History.Op j2 = ok(h, "join", "n2", "u6", "a", 1, 4);
    j2.epoch = 2;
    History.Session s1 = new History.Session(h, j1, JoinOptions.none(), -1);
    History.Session s2 = new History.Session(h, j2, JoinOptions.none(), -1);
    h.sessions.addAll(List.of(s1, s2));
    s1.onEvent(new RoomEvent.MemberJoined("a", 1, 1, UserId.of("u6"), 0));
    s1.onEvent(new ChatMessage("a", 1, 2, UserId.of("u6"), "m2", null, 0));
    s1.onEvent(new ChatMessage("a", 1, 3, UserId.of("u6"), "m3", null, 0));
    s1.onEvent(new RoomEvent.RoomAvailable("a", io.chatmesh.NodeId.of("n2"), 2));
    s1.onEvent(new RoomEvent.MemberLeft("a", 2, 0, UserId.of("u6"), RoomEvent.LeaveReason.REMOVED, 0));
    s1.end("removed");
    s2.onEvent(new RoomEvent.MemberJoined("a", 2, 4, UserId.of("u6"), 0));
    // what the nodes' stores took: the admins' entries (n2's NODE_FAILED at 3 only in some variants)
    List<io.chatmesh.spi.history.HistoryEntry> entries = new ArrayList<>();
    entries.add(stored("u6", 1, 1, io.chatmesh.spi.history.HistoryEntry.Kind.JOINED));
    if (stored == StoredAt3.NODE_FAILED_OF_U6) {
      entries.add(stored("u6", 2, 3, io.chatmesh.spi.history.HistoryEntry.Kind.NODE_FAILED));
    } else if (stored == StoredAt3.NODE_FAILED_OF_ANOTHER_USER) {
      entries.add(stored("u7", 2, 3, io.chatmesh.spi.history.HistoryEntry.Kind.NODE_FAILED));
    }
    entries.add(stored("u6", 2, 4, io.chatmesh.spi.history.HistoryEntry.Kind.JOINED));
    h.stored(entries);
    return h;
  }

  private static io.chatmesh.spi.history.HistoryEntry stored(String user, long epoch, long seq, io.chatmesh.spi.history.HistoryEntry.Kind kind) {
    return new io.chatmesh.spi.history.HistoryEntry("a", epoch, seq, kind, UserId.of(user), "", null, 0);
  }

  @Test
  void withAdminOnlyTwoJoinsInARowAreAllowedOnlyWhenAStoreHasTheLeaveAtASeqReusedAfterALossAtFailover() {
    String rule = "a join or leave no member got, at a seq reused after its entry was lost at failover";
    int before = Checker.ALLOWED.containsKey(rule) ? Checker.ALLOWED.get(rule).get() : 0;
    List<Checker.Anomaly> reused = Checker.check(leaveNoMemberGot(io.chatmesh.Failover.Acks.ADMIN_ONLY, StoredAt3.NODE_FAILED_OF_U6));
    assertThat(reused).as(Checker.summary(reused)).isEmpty();
    assertThat(Checker.ALLOWED.get(rule).get()).isGreaterThan(before);
    // the same member-visible shape when n2 adopted m3 and sequenced u6's JOINED again (an engine defect)
    List<Checker.Anomaly> rejoined = Checker.check(leaveNoMemberGot(io.chatmesh.Failover.Acks.ADMIN_ONLY, StoredAt3.NOTHING));
    assertThat(kinds(rejoined)).as(Checker.summary(rejoined)).containsExactly(Checker.Kind.JOIN_LEAVE_ORDER);
    List<Checker.Anomaly> other = Checker.check(leaveNoMemberGot(io.chatmesh.Failover.Acks.ADMIN_ONLY, StoredAt3.NODE_FAILED_OF_ANOTHER_USER));
    assertThat(kinds(other)).as(Checker.summary(other)).containsExactly(Checker.Kind.JOIN_LEAVE_ORDER);
    // REPLICATED: members only get committed entries, so m3 cannot be lost; the shape stays an anomaly
    List<Checker.Anomaly> replicated = Checker.check(leaveNoMemberGot(io.chatmesh.Failover.Acks.REPLICATED, StoredAt3.NODE_FAILED_OF_U6));
    assertThat(kinds(replicated)).as(Checker.summary(replicated)).contains(Checker.Kind.JOIN_LEAVE_ORDER);
  }

  /** What the new admin did with u2's retry of m (client id c5), lost at failover at seq 4. */
  private enum Retry { ONCE, TWICE }

  /**
   * Seed 2588's shape: n1 (epoch 1) sequences u2's x and m at 3 and 4, which only u1 (through n1)
   * gets; u2's sends time out; n1 dies and n2 (epoch 2) continues after seq 2. u2's retry of m is
   * sequenced at 3 (epoch 2) - below m's lost seq - or, as {@code retry} says, twice (3 and 4).
   */
  private static History retryBelowItsLostSeq(io.chatmesh.Failover.Acks acks, Retry retry) {
    History h = history();
    h.failover = acks;
    ok(h, "create", "n1", null, "a", 0, 0);
    History.Op j1 = ok(h, "join", "n1", "u1", "a", 1, 1);
    History.Op j2 = ok(h, "join", "n3", "u2", "a", 1, 2);
    History.Op x = h.invoke("send", "n3", "u2", "a", 1, "");
    History.Op m = h.invoke("send", "n3", "u2", "a", 1, "");
    for (History.Op op : List.of(x, m)) {
      op.text = op == x ? "x" : "m";
      op.clientId = op == x ? "c4" : "c5";
      op.outcome = History.Outcome.FAILED;
      op.code = io.chatmesh.ErrorCode.TIMEOUT;
      op.completedTick = h.tick();
    }
    History.Op again = ok(h, "send", "n3", "u2", "a", 1, 3);
    again.text = "m";
    again.clientId = "c5";
    again.epoch = 2;
    again.retryOf = m;
    History.Session s1 = new History.Session(h, j1, JoinOptions.none(), -1);
    History.Session s2 = new History.Session(h, j2, JoinOptions.none(), -1);
    h.sessions.addAll(List.of(s1, s2));
    s1.onEvent(new RoomEvent.MemberJoined("a", 1, 1, UserId.of("u1"), 0));
    s1.onEvent(new RoomEvent.MemberJoined("a", 1, 2, UserId.of("u2"), 0));
    s1.onEvent(new ChatMessage("a", 1, 3, UserId.of("u2"), "x", "c4", 0));
    s1.onEvent(new ChatMessage("a", 1, 4, UserId.of("u2"), "m", "c5", 0));
    s1.end("node n1 crashed");
    s2.onEvent(new RoomEvent.MemberJoined("a", 1, 2, UserId.of("u2"), 0));
    s2.onEvent(new RoomEvent.RoomAvailable("a", io.chatmesh.NodeId.of("n2"), 2));
    s2.onEvent(new ChatMessage("a", 2, 3, UserId.of("u2"), "m", "c5", 0));
    if (retry == Retry.TWICE) {
      s2.onEvent(new ChatMessage("a", 2, 4, UserId.of("u2"), "m", "c5", 0));
    }
    return h;
  }

  /** What the third admin's log holds at seq 3 in {@link #threeEpochs}. */
  private enum ThirdLog { FIRST_EPOCHS_LOG_AGAIN, OWN_LOST_ENTRY_BELOW_THE_SECOND_EPOCHS }

  /**
   * ADMIN_ONLY across three epochs (seed 1691's shape): n1 acks m1 at 3 (epoch 1) alone and loses its
   * lease; n2 takes over after seq 2 and puts m2 at 3 (epoch 2), which u2@n3 gets; then n1 takes the
   * room over again (epoch 3), and u2 is told seq 3 on was lost and gets n1's log from 3 on. With
   * {@code FIRST_EPOCHS_LOG_AGAIN} n2's m2 was never replicated (lost too) and n1 continues its own
   * log: m1 at 3, then its m5 at 4 - one log, legitimately. With {@code
   * OWN_LOST_ENTRY_BELOW_THE_SECOND_EPOCHS} n2 also put m3 at 4, which a majority held, and n1 kept
   * its m1 at 3 below it (the engine defect of seed 1691): m1, m3, then m5 at 5 - no admin had that log.
   */
  private static History threeEpochs(ThirdLog third) {
    History h = history();
    boolean mixed = third == ThirdLog.OWN_LOST_ENTRY_BELOW_THE_SECOND_EPOCHS;
    History.Session s2 = m1LostAtFailover(h, mixed ? List.of(4L) : List.of());
    long last = mixed ? 5 : 4;
    sent(h, "n3", "u2", last, "m5", 3);
    s2.onEvent(new RoomEvent.RoomAvailable("a", io.chatmesh.NodeId.of("n2"), 2));
    s2.onEvent(new ChatMessage("a", 2, 3, UserId.of("u2"), "m2", null, 0));
    if (mixed) {
      s2.onEvent(new ChatMessage("a", 2, 4, UserId.of("u2"), "m3", null, 0));
    }
    s2.onEvent(new RoomEvent.RoomAvailable("a", io.chatmesh.NodeId.of("n1"), 3));
    s2.onEvent(new RoomEvent.MessagesLost("a", 3, 3, mixed ? 4 : 3));
    s2.onEvent(new ChatMessage("a", 1, 3, UserId.of("u1"), "m1", null, 0));
    if (mixed) {
      s2.onEvent(new ChatMessage("a", 2, 4, UserId.of("u2"), "m3", null, 0));
    }
    s2.onEvent(new ChatMessage("a", 3, last, UserId.of("u2"), "m5", null, 0));
    return h;
  }

  @Test
  void withAdminOnlyARetrySequencedBelowItsMessagesLostSeqIsAllowedButNotTwiceInOneEpoch() {
    List<Checker.Anomaly> adminOnly = Checker.check(retryBelowItsLostSeq(io.chatmesh.Failover.Acks.ADMIN_ONLY, Retry.ONCE));
    assertThat(adminOnly).as(Checker.summary(adminOnly)).isEmpty();
    List<Checker.Anomaly> twice = Checker.check(retryBelowItsLostSeq(io.chatmesh.Failover.Acks.ADMIN_ONLY, Retry.TWICE));
    assertThat(kinds(twice)).as(Checker.summary(twice)).containsExactly(Checker.Kind.RETRY_SEQUENCED_TWICE);
    List<Checker.Anomaly> replicated = Checker.check(retryBelowItsLostSeq(io.chatmesh.Failover.Acks.REPLICATED, Retry.ONCE));
    assertThat(kinds(replicated)).as(Checker.summary(replicated)).contains(Checker.Kind.DIVERGING, Checker.Kind.RETRY_SEQUENCED_TWICE);
  }

  @Test
  void withAdminOnlyANewerAdminMayContinueAnOlderEpochsLogButNotPutAnEntryLostAtFailoverBelowANewerEpochsEntries() {
    List<Checker.Anomaly> again = Checker.check(threeEpochs(ThirdLog.FIRST_EPOCHS_LOG_AGAIN));
    assertThat(again).as(Checker.summary(again)).isEmpty();
    List<Checker.Anomaly> mixed = Checker.check(threeEpochs(ThirdLog.OWN_LOST_ENTRY_BELOW_THE_SECOND_EPOCHS));
    assertThat(mixed).as(Checker.summary(mixed)).extracting(Checker.Anomaly::kind, Checker.Anomaly::seqs)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(Checker.Kind.DIVERGING, "3"));
  }
}
