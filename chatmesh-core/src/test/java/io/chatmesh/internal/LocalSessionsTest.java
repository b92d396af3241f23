package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

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
  private static final RoomEvent EVENT = new RoomEvent.RoomAvailable("r");

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
  void removesASessionOnlyIfItIsTheGivenOne() {
    LocalSession joining = session("ann", JoinOptions.none(), false);
    sessions.put(ANN, joining);
    assertThat(sessions.active(ANN)).isNull();
    sessions.remove(ANN, sessions.active(ANN)); // an entry of an older session: keeps the new one
    assertThat(sessions.get(ANN)).isSameAs(joining);
    joining.active = true;
    sessions.remove(ANN, sessions.active(ANN));
    assertThat(sessions.contains(ANN)).isFalse();
    assertThat(sessions.isEmpty()).isTrue();
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
