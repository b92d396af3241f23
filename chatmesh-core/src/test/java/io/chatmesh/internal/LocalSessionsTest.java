package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatMessage;
import io.chatmesh.JoinOptions;
import io.chatmesh.RoomEvent;
import io.chatmesh.UserId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

class LocalSessionsTest {
  private static final UserId ANN = UserId.of("ann");
  private static final UserId BOB = UserId.of("bob");
  private static final RoomEvent EVENT = new RoomEvent.RoomAvailable("r", io.chatmesh.NodeId.of("n1"), 1);

  private final LongAdder deliveries = new LongAdder();
  private final LocalSessions sessions = new LocalSessions("r", deliveries);
  private final List<String> got = new ArrayList<>();

  private LocalSession session(String who, JoinOptions options, boolean active) {
    LocalSession s = new LocalSession(e -> got.add(who), options);
    s.active = active;
    return s;
  }

  @Test
  void firesToActiveSessionsOnlyUnlessPendingOnesAreIncluded() {
    sessions.put(ANN, session("ann", JoinOptions.none(), true));
    sessions.put(BOB, session("bob", JoinOptions.none(), false));
    sessions.fire(EVENT, false);
    assertThat(got).containsExactly("ann");
    sessions.fire(EVENT, true);
    assertThat(got).containsExactly("ann", "ann", "bob");
    assertThat(deliveries.sum()).isEqualTo(3);
  }

  @Test
  void aSessionFetchingItsHistoryHoldsLiveEvents() {
    LocalSession catchingUp = session("ann", JoinOptions.since(0), true);
    sessions.put(ANN, catchingUp);
    sessions.fire(EVENT, false);
    assertThat(got).isEmpty();
    assertThat(catchingUp.held).containsExactly(EVENT);
    assertThat(deliveries.sum()).isZero();
  }

  @Test
  void aFailingListenerDoesNotStopTheOthers() {
    LocalSession failing = new LocalSession(e -> {
      throw new IllegalStateException("listener bug");
    }, JoinOptions.none());
    failing.active = true;
    sessions.put(ANN, failing);
    sessions.put(BOB, session("bob", JoinOptions.none(), true));
    sessions.fire(EVENT, false);
    assertThat(got).containsExactly("bob");
  }

  @Test
  void aLeftOrNodeFailedEntryEndsOnlyAStartedSession() {
    LocalSession joining = session("ann", JoinOptions.none(), false);
    sessions.put(ANN, joining);
    sessions.endSession(ANN); // an entry of an older session (the user moved here): keeps the new one
    assertThat(sessions.get(ANN)).isSameAs(joining);
    joining.active = true;
    sessions.endSession(ANN);
    assertThat(sessions.contains(ANN)).isFalse();
    assertThat(sessions.isEmpty()).isTrue();
  }

  // ---- when a session starts (its answered join's seq), tentatively on a JOINED before the answer

  private final List<RoomEvent> events = new ArrayList<>();

  private LocalSession recording(JoinOptions options) {
    return new LocalSession(events::add, options);
  }

  private static ChatMessage message(long seq) {
    return new ChatMessage("r", 1, seq, BOB, "m" + seq, "c" + seq, 0);
  }

  @Test
  void anAnsweredSessionStartsOnlyWhenDeliveryReachesItsStart() {
    LocalSession s = recording(JoinOptions.none());
    sessions.put(ANN, s);
    sessions.answered(ANN, s, 5, 3); // delivery lags at 3
    assertThat(s.active).isFalse();
    sessions.activateStarted(3);
    sessions.fire(message(3), false);
    sessions.activateStarted(4);
    sessions.fire(message(4), false);
    assertThat(events).isEmpty();
    sessions.activateStarted(5);
    sessions.fire(message(5), false);
    assertThat(s.active).isTrue();
    assertThat(events).containsExactly(message(5));
  }

  @Test
  void anOlderSessionsJoinedDoesNotActivateAnAnsweredSession() {
    LocalSession s = recording(JoinOptions.none());
    sessions.put(ANN, s);
    sessions.answered(ANN, s, 9, 6);
    sessions.joinedEntry(ANN); // the JOINED at 6 of ann's session on another node
    assertThat(s.active).isFalse();
    assertThat(s.early).isNull();
  }

  @Test
  void aTentativeSessionKeepsEventsAndGetsThoseFromItsStartOnOnceAnswered() {
    LocalSession s = recording(JoinOptions.none());
    sessions.put(ANN, s);
    RoomEvent.MemberJoined olderJoin = new RoomEvent.MemberJoined("r", 1, 5, ANN, 0);
    RoomEvent.MemberJoined ownJoin = new RoomEvent.MemberJoined("r", 1, 7, ANN, 0);
    sessions.joinedEntry(ANN); // the JOINED at 5 of ann's session on another node
    sessions.fire(olderJoin, false);
    sessions.fire(message(6), false);
    sessions.joinedEntry(ANN); // its own JOINED at 7: already tentative
    sessions.fire(ownJoin, false);
    sessions.fire(message(8), false);
    assertThat(s.active).isTrue();
    assertThat(events).isEmpty();
    assertThat(deliveries.sum()).isZero();
    sessions.answered(ANN, s, 7, 9);
    assertThat(events).containsExactly(ownJoin, message(8));
    assertThat(deliveries.sum()).isEqualTo(2);
    assertThat(s.early).isNull();
    sessions.fire(message(9), false);
    assertThat(events).containsExactly(ownJoin, message(8), message(9));
  }

  @Test
  void aTentativeSessionFetchingHistoryHoldsWhatItKeptFromItsStartOn() {
    LocalSession s = recording(JoinOptions.since(0));
    sessions.put(ANN, s);
    sessions.joinedEntry(ANN);
    sessions.fire(message(4), false);
    sessions.fire(message(5), false);
    sessions.answered(ANN, s, 5, 6);
    assertThat(events).isEmpty();
    assertThat(s.held).containsExactly(message(5));
    assertThat(deliveries.sum()).isZero();
  }

  @Test
  void aTentativeSessionThatSawOnlyAnOlderSessionsEntriesWaitsForItsStart() {
    LocalSession s = recording(JoinOptions.none());
    sessions.put(ANN, s);
    sessions.joinedEntry(ANN); // JOINED at 6 of ann's older session on another node
    sessions.fire(message(7), false);
    sessions.answered(ANN, s, 9, 8); // ann's join here is at 9, delivery is at 8
    assertThat(s.active).isFalse();
    assertThat(s.early).isNull();
    sessions.activateStarted(8);
    sessions.fire(message(8), false);
    sessions.activateStarted(9);
    sessions.fire(message(9), false);
    assertThat(events).containsExactly(message(9));
  }

  @Test
  void anOlderSessionsLeftSendsATentativeSessionBackToWaiting() {
    LocalSession s = recording(JoinOptions.none());
    sessions.put(ANN, s);
    sessions.joinedEntry(ANN);
    sessions.fire(message(7), false);
    sessions.endSession(ANN); // the LEFT at 8 of the older session
    assertThat(sessions.get(ANN)).isSameAs(s);
    assertThat(s.active).isFalse();
    assertThat(s.early).isNull();
    sessions.joinedEntry(ANN); // its own JOINED at 9
    sessions.fire(message(10), false);
    sessions.answered(ANN, s, 9, 11);
    assertThat(events).containsExactly(message(10));
  }

  @Test
  void eventsForEveryoneReachATentativeSessionAtOnce() {
    LocalSession s = recording(JoinOptions.none());
    sessions.put(ANN, s);
    sessions.joinedEntry(ANN);
    RoomEvent deleted = new RoomEvent.RoomDeleted("r", "gone");
    sessions.fire(deleted, true);
    assertThat(events).containsExactly(deleted);
    assertThat(s.early).isEmpty();
  }

  @Test
  void aRemovedSessionIsNotStartedAndANewOneIsNotConfusedWithIt() {
    LocalSession old = recording(JoinOptions.none());
    sessions.put(ANN, old);
    sessions.answered(ANN, old, 5, 3);
    sessions.remove(ANN);
    LocalSession newer = recording(JoinOptions.none());
    sessions.put(ANN, newer);
    sessions.activateStarted(5);
    assertThat(old.active).isFalse();
    assertThat(newer.active).isFalse(); // not answered yet: only its own start activates it
    sessions.answered(ANN, old, 5, 5); // a late answer of the removed session: ignored
    assertThat(newer.startsAt).isZero();
  }

  @Test
  void theLastSeqOfAnEventIsWhatItIsAbout() {
    assertThat(LocalSessions.lastSeqOf(message(4))).isEqualTo(4);
    assertThat(LocalSessions.lastSeqOf(new RoomEvent.MessagesLost("r", 1, 3, 6))).isEqualTo(6);
    assertThat(LocalSessions.lastSeqOf(new RoomEvent.MemberLeft("r", 1, 0, ANN, RoomEvent.LeaveReason.REMOVED, 0)))
        .isEqualTo(Long.MAX_VALUE);
    assertThat(LocalSessions.lastSeqOf(EVENT)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void keepsJoinOrder() {
    sessions.put(BOB, session("bob", JoinOptions.none(), true));
    sessions.put(ANN, session("ann", JoinOptions.none(), true));
    assertThat(sessions.users()).containsExactly(BOB, ANN);
    assertThat(sessions.size()).isEqualTo(2);
    sessions.clear();
    assertThat(sessions.users()).isEmpty();
  }
}
