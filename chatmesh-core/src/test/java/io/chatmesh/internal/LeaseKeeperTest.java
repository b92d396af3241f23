package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.Failover;
import io.chatmesh.NodeId;
import io.chatmesh.lease.InMemoryRoomLeases;
import io.chatmesh.spi.lease.Lease;
import io.chatmesh.spi.lease.RoomLeases;
import io.chatmesh.time.ManualClock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link LeaseKeeper} on {@link InMemoryRoomLeases} with a shared {@link ManualClock}. Lease 6 s,
 * renewal every 2 s, drift bound 500 ms: a lease granted at {@code t0} (the clock does not move
 * during a grant) stops at {@code t0 + 5500} unless renewed. Each node sees the backend through a
 * {@link Link} that can cut it off or hold the backend's answers to renewals.
 */
class LeaseKeeperTest {
  private static final String ROOM = "lobby";
  private static final NodeId N1 = NodeId.of("n1");
  private static final NodeId N2 = NodeId.of("n2");
  private static final long TTL = 6_000;
  private static final long EVERY = 2_000;
  private static final long STOP = TTL - 500;

  private final ManualClock clock = new ManualClock();
  private final InMemoryRoomLeases backend = new InMemoryRoomLeases(clock);
  private final Failover settings =
      Failover.builder(backend)
          .leaseDuration(Duration.ofMillis(TTL))
          .renewInterval(Duration.ofMillis(EVERY))
          .maxClockDrift(Duration.ofMillis(500))
          .build();
  private final long t0 = clock.millis();

  private final Lane lane1 = new Lane();
  private final Link link1 = new Link(backend);
  private final LeaseKeeper keeper1 = new LeaseKeeper(ROOM, N1, link1, settings, clock, lane1);
  private final Lane lane2 = new Lane();
  private final LeaseKeeper keeper2 = new LeaseKeeper(ROOM, N2, backend, settings, clock, lane2);

  // ---- acquire ----

  @Test
  void acquireCompletesOnTheLaneWithTheLease() {
    lane1.auto = false;
    boolean[] dependentOnLane = new boolean[1];
    CompletableFuture<Lease> f = keeper1.acquire();
    f.thenRun(() -> dependentOnLane[0] = lane1.running);
    assertThat(f).as("the backend answered, but the lane has not run yet").isNotDone();
    lane1.drain();
    Lease lease = f.join();
    assertThat(dependentOnLane[0]).as("completed on the lane").isTrue();
    assertThat(lease.holder()).isEqualTo(N1);
    assertThat(lease.epoch()).isEqualTo(1);
    assertThat(lease.ttl()).isEqualTo(Duration.ofMillis(TTL));
    assertThat(keeper1.lease()).isEqualTo(lease);
    assertThat(keeper1.maySequence()).isTrue();
  }

  @Test
  void acquireRefusedNotAdminKeepsTheBackendsMessageNamingTheHolder() {
    keeper2.acquire().join();
    CompletableFuture<Lease> f = keeper1.acquire();
    assertThat(code(f)).isEqualTo(ErrorCode.NOT_ADMIN);
    assertThat(failure(f).getMessage()).contains("n2").contains("epoch 1");
    assertThat(keeper1.lease()).isNull();
    assertThat(keeper1.maySequence()).isFalse();
    clock.advance(Duration.ofMillis(TTL * 3));
    assertThat(link1.renewals).as("nothing to renew").isEmpty();
    assertThat(lane1.lost).isEmpty();
    assertThat(code(keeper1.acquire())).as("a refused acquire may be retried (no IllegalStateException)").isEqualTo(ErrorCode.NOT_ADMIN);
  }

  @Test
  void acquireFailsUnavailableWhenTheBackendCannotBeReached() {
    backend.setAvailable(false);
    CompletableFuture<Lease> f = keeper1.acquire();
    assertThat(code(f)).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(keeper1.maySequence()).isFalse();
    backend.setAvailable(true);
    assertThat(keeper1.acquire().join().epoch()).isEqualTo(1);
  }

  @Test
  void grantAnsweredOnlyAfterItsStopTimeIsRefusedAndGivenBack() {
    link1.holdAnswers = true;
    CompletableFuture<Lease> f = keeper1.acquire(); // granted at t0, expires at t0 + 6000
    clock.advance(Duration.ofMillis(STOP));
    link1.answerAll();
    assertThat(code(f)).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(failure(f).getMessage()).contains("too late");
    assertThat(keeper1.maySequence()).isFalse();
    assertThat(current()).as("released").isEmpty();
    assertThat(lane1.lost).as("never acquired, so never lost").isEmpty();
    assertThat(keeper2.acquire().join().epoch()).isEqualTo(2);
  }

  // ---- deletion: retire and takeover ----

  @Test
  void retireEndsTheTenureAndRetiresTheRoomSoATakeoverFailsUnknownRoom() {
    keeper1.acquire().join();
    CompletableFuture<Void> retired = keeper1.retire();
    assertThat(retired).isCompleted();
    assertThat(keeper1.maySequence()).isFalse();
    assertThat(keeper1.lease()).isNull();
    assertThat(backend.retired(ROOM).join()).isTrue();
    clock.advance(Duration.ofMillis(TTL * 3));
    assertThat(link1.renewals).as("nothing renewed after the retire").isEmpty();
    assertThat(lane1.lost).as("a retired lease is not reported lost").isEmpty();
    CompletableFuture<Lease> takeover = keeper2.takeOver();
    assertThat(code(takeover)).isEqualTo(ErrorCode.UNKNOWN_ROOM);
    assertThat(keeper2.maySequence()).isFalse();
    assertThat(keeper2.acquire().join().epoch()).as("a creation's acquire re-creates the room").isEqualTo(2);
  }

  @Test
  void retireWithALostLeaseOrNoneFailsNotAdminAndLeavesTheRoom() {
    assertThat(code(keeper1.retire())).as("no lease held").isEqualTo(ErrorCode.NOT_ADMIN);
    keeper1.acquire().join();
    link1.cut = true;
    clock.advance(Duration.ofMillis(TTL));
    assertThat(lane1.lost).hasSize(1);
    link1.cut = false;
    keeper2.takeOver().join();
    assertThat(code(keeper1.retire())).isEqualTo(ErrorCode.NOT_ADMIN);
    assertThat(backend.retired(ROOM).join()).isFalse();
    assertThat(keeper2.maySequence()).isTrue();
  }

  @Test
  void retireThatCannotReachTheBackendFailsUnavailableAndEndsTheTenure() {
    keeper1.acquire().join();
    link1.cut = true;
    assertThat(code(keeper1.retire())).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(keeper1.maySequence()).isFalse();
    clock.advance(Duration.ofMillis(TTL * 2));
    assertThat(lane1.lost).as("the tenure ended with the retire: no lost() later").isEmpty();
    assertThat(keeper2.takeOver().join().epoch()).as("the lease lapsed; the room was not retired").isEqualTo(2);
  }

  @Test
  void acquireWhileHoldingOrAcquiringIsABug() {
    lane1.auto = false;
    keeper1.acquire();
    assertThatThrownBy(keeper1::acquire).as("while acquiring").isInstanceOf(IllegalStateException.class).hasMessageContaining(ROOM);
    lane1.drain();
    assertThatThrownBy(keeper1::acquire).as("while holding").isInstanceOf(IllegalStateException.class).hasMessageContaining(ROOM);
    assertThat(keeper1.maySequence()).as("the bug does not disturb the held lease").isTrue();
  }

  // ---- renewal ----

  @Test
  void renewsEveryRenewIntervalAndKeepsTheLeaseFarBeyondItsDuration() {
    keeper1.acquire().join();
    clock.advance(Duration.ofMillis(EVERY - 1));
    assertThat(link1.renewals).isEmpty();
    clock.advance(Duration.ofMillis(1));
    assertThat(link1.renewals).containsExactly(t0 + EVERY);
    clock.advance(Duration.ofMillis(5 * EVERY));
    assertThat(link1.renewals).containsExactly(t0 + EVERY, t0 + 2 * EVERY, t0 + 3 * EVERY, t0 + 4 * EVERY, t0 + 5 * EVERY, t0 + 6 * EVERY);
    assertThat(keeper1.maySequence()).isTrue();
    Lease lease = keeper1.lease();
    assertThat(lease).isNotNull();
    assertThat(lease.epoch()).as("renewal keeps the epoch").isEqualTo(1);
    assertThat(lease.expiresAtMillis()).isEqualTo(t0 + 6 * EVERY + TTL);
    assertThat(current()).hasValueSatisfying(l -> assertThat(l.holder()).isEqualTo(N1));
    assertThat(lane1.lost).isEmpty();
  }

  @Test
  void renewalRefusedNotAdminLosesTheLeaseAtOnceAndStopsRenewing() {
    Lease mine = keeper1.acquire().join();
    backend.release(mine).join(); // behind the keeper's back
    keeper2.acquire().join();
    clock.advance(Duration.ofMillis(EVERY - 1));
    assertThat(keeper1.maySequence()).as("it does not know yet").isTrue();
    clock.advance(Duration.ofMillis(1));
    assertThat(lane1.lost).hasSize(1);
    assertThat(lane1.lost.get(0)).contains("'" + ROOM + "'").contains("lapsed or was taken").contains("n2");
    assertThat(keeper1.maySequence()).isFalse();
    assertThat(keeper1.lease()).isNull();
    clock.advance(Duration.ofMillis(TTL * 3));
    assertThat(link1.renewals).containsExactly(t0 + EVERY);
    assertThat(lane1.lost).hasSize(1);
  }

  @Test
  void renewalFailingUnavailableKeepsTheLeaseAndIsTriedAgainAtTheNextInterval() {
    keeper1.acquire().join();
    clock.advance(Duration.ofMillis(1_000));
    backend.setAvailable(false);
    clock.advance(Duration.ofMillis(EVERY)); // t0 + 3000: the renewal at t0 + 2000 was refused
    assertThat(link1.renewals).containsExactly(t0 + EVERY);
    assertThat(keeper1.maySequence()).isTrue();
    assertThat(keeper1.lease()).isNotNull();
    assertThat(keeper1.lease().expiresAtMillis()).as("still the granted lease").isEqualTo(t0 + TTL);
    assertThat(lane1.lost).isEmpty();
    backend.setAvailable(true);
    clock.advance(Duration.ofMillis(EVERY)); // t0 + 5000
    assertThat(link1.renewals).containsExactly(t0 + EVERY, t0 + 2 * EVERY);
    assertThat(keeper1.lease().expiresAtMillis()).as("renewed at t0 + 4000").isEqualTo(t0 + 2 * EVERY + TTL);
    clock.advance(Duration.ofMillis(STOP)); // well past the first lease's stop time
    assertThat(keeper1.maySequence()).isTrue();
    assertThat(lane1.lost).isEmpty();
  }

  @Test
  void renewalsFailingUntilTheStopTimeLoseTheLeaseNamingTheLastError() {
    keeper1.acquire().join();
    backend.setAvailable(false);
    clock.advance(Duration.ofMillis(2 * EVERY)); // both renewals refused
    backend.setAvailable(true);
    clock.advance(Duration.ofMillis(STOP - 2 * EVERY - 1)); // t0 + 5499: the next renewal is due at t0 + 6000
    assertThat(keeper1.maySequence()).isTrue();
    assertThat(lane1.lost).isEmpty();
    clock.advance(Duration.ofMillis(1)); // the stop time
    assertThat(keeper1.maySequence()).isFalse();
    assertThat(lane1.lost).hasSize(1);
    assertThat(lane1.lost.get(0)).contains("could not renew").contains("before its stop time").contains("UNAVAILABLE");
    clock.advance(Duration.ofMillis(TTL));
    assertThat(link1.renewals).as("no renewal after the loss").containsExactly(t0 + EVERY, t0 + 2 * EVERY);
  }

  @Test
  void noRenewalByTheStopTimeStopsSequencingThereEvenBeforeTheTimerRan() {
    keeper1.acquire().join();
    backend.setAvailable(false);
    clock.advance(Duration.ofMillis(STOP - 1));
    assertThat(keeper1.maySequence()).isTrue();
    lane1.auto = false; // the timer's task waits on the lane
    clock.advance(Duration.ofMillis(1));
    assertThat(keeper1.maySequence()).as("read from the clock at the stop time").isFalse();
    assertThat(lane1.lost).as("the timer's task has not run").isEmpty();
    lane1.drain();
    assertThat(lane1.lost).hasSize(1);
    assertThat(lane1.lost.get(0)).contains("could not renew").contains("'" + ROOM + "'").contains("before its stop time");
    assertThat(keeper1.lease()).isNull();
    lane1.auto = true;
    backend.setAvailable(true);
    int tried = link1.renewals.size();
    clock.advance(Duration.ofMillis(TTL * 3));
    assertThat(link1.renewals).as("no renewal after the loss").hasSize(tried);
    assertThat(lane1.lost).hasSize(1);
    assertThat(keeper1.maySequence()).isFalse();
  }

  @Test
  void renewalAnsweredAfterTheStopTimeDoesNotReviveTheLeaseAndIsReleased() {
    keeper1.acquire().join();
    link1.holdAnswers = true;
    clock.advance(Duration.ofMillis(STOP)); // renewed at the backend at t0+2000, answer not back yet
    assertThat(link1.renewals).as("one renewal in flight at a time").containsExactly(t0 + EVERY);
    assertThat(keeper1.maySequence()).isFalse();
    assertThat(lane1.lost).hasSize(1);
    assertThat(current()).as("the backend renewed it").isPresent();
    link1.answerAll();
    assertThat(keeper1.maySequence()).isFalse();
    assertThat(keeper1.lease()).isNull();
    assertThat(lane1.lost).hasSize(1);
    assertThat(current()).as("given back so another node need not wait").isEmpty();
    assertThat(keeper2.acquire().join().epoch()).isEqualTo(2);
    clock.advance(Duration.ofMillis(TTL * 3));
    assertThat(link1.renewals).hasSize(1);
  }

  @Test
  void renewalAnsweredBeforeTheStopTimeButHandledAfterItStillLoses() {
    keeper1.acquire().join();
    link1.holdAnswers = true;
    clock.advance(Duration.ofMillis(STOP - 1));
    lane1.auto = false;
    link1.answerAll(); // the answer waits on the lane
    clock.advance(Duration.ofMillis(1)); // so does the stop timer's task, behind it
    assertThat(keeper1.maySequence()).isFalse();
    lane1.drain();
    assertThat(lane1.lost).as("once, though both the answer and the timer saw the stop time").hasSize(1);
    assertThat(keeper1.maySequence()).isFalse();
    assertThat(keeper1.lease()).isNull();
  }

  @Test
  void renewalAnsweredInTimeExtendsTheStopTime() {
    keeper1.acquire().join();
    link1.holdAnswers = true;
    clock.advance(Duration.ofMillis(STOP - 1));
    link1.answerAll(); // sent at t0 + 2000
    assertThat(keeper1.lease()).isNotNull();
    assertThat(keeper1.lease().stopAtMillis(settings.maxClockDrift())).isEqualTo(t0 + EVERY + STOP);
    clock.advance(Duration.ofMillis(1));
    assertThat(keeper1.maySequence()).isTrue();
    assertThat(lane1.lost).isEmpty();
  }

  /**
   * The safety property: the holder is cut off from the backend at {@code cutAt} (after t0) while
   * another node keeps trying to acquire every millisecond; the holder's maySequence() must be false
   * at every moment the other node could be granted the lease, and turn false strictly before. With
   * {@code busyLane} the holder's lane runs nothing after the cut (its stop timer's task waits), so
   * only the clock can tell it to stop.
   */
  @ParameterizedTest
  @CsvSource({"0,false", "1,false", "1999,false", "2000,false", "2001,false", "3999,false", "4001,false", "0,true", "2001,true"})
  void holderCutOffStopsSequencingStrictlyBeforeTheLeaseCanBeGrantedElsewhere(long cutAt, boolean busyLane) {
    keeper1.acquire().join();
    clock.advance(Duration.ofMillis(cutAt));
    link1.cut = true;
    lane1.auto = !busyLane;
    long firstFalse = -1;
    long granted = -1;
    for (int ms = 0; ms < 3 * TTL && granted < 0; ms++) {
      boolean may = keeper1.maySequence();
      if (!may && firstFalse < 0) {
        firstFalse = clock.millis();
      }
      assertThat(may && firstFalse >= 0).as("never sequences again").isFalse();
      CompletableFuture<Lease> other = keeper2.acquire();
      if (!other.isCompletedExceptionally()) {
        granted = clock.millis();
        assertThat(other.join().epoch()).isEqualTo(2);
        assertThat(keeper1.maySequence()).as("the holder must have stopped when another node is granted the lease").isFalse();
      } else {
        assertThat(code(other)).isEqualTo(ErrorCode.NOT_ADMIN);
      }
      clock.advance(Duration.ofMillis(1));
    }
    assertThat(granted).as("the other node got the lease at last").isPositive();
    assertThat(firstFalse).as("the holder stopped").isPositive();
    assertThat(granted - firstFalse).as("stopped by the drift bound before the grant").isEqualTo(500);
    lane1.drain();
    assertThat(lane1.lost).hasSize(1);
  }

  // ---- release and stop ----

  @Test
  void releaseLetsAnotherNodeAcquireAtOnceWithAHigherEpoch() {
    keeper1.acquire().join();
    clock.advance(Duration.ofMillis(EVERY + 100));
    lane1.auto = false;
    CompletableFuture<Void> done = keeper1.release();
    assertThat(keeper1.maySequence()).as("at once, before the lane ran").isFalse();
    assertThat(keeper1.lease()).isNull();
    assertThat(done).as("completes on the lane").isNotDone();
    lane1.drain();
    assertThat(done).isCompleted();
    Lease next = keeper2.acquire().join();
    assertThat(next.epoch()).isEqualTo(2);
    lane1.auto = true;
    clock.advance(Duration.ofMillis(TTL * 3));
    assertThat(link1.renewals).as("renewal timer cancelled").containsExactly(t0 + EVERY);
    assertThat(lane1.lost).isEmpty();
    assertThat(keeper2.maySequence()).isTrue();
  }

  @Test
  void releaseThatFailsStillCompletesAndTheLeaseLapses() {
    keeper1.acquire().join();
    link1.cut = true;
    CompletableFuture<Void> done = keeper1.release();
    assertThat(done).isCompleted();
    assertThat(done.isCompletedExceptionally()).isFalse();
    assertThat(keeper1.maySequence()).isFalse();
    assertThat(code(keeper2.acquire())).as("still held until it lapses").isEqualTo(ErrorCode.NOT_ADMIN);
    clock.advance(Duration.ofMillis(TTL));
    assertThat(keeper2.acquire().join().epoch()).isEqualTo(2);
    assertThat(lane1.lost).isEmpty();
  }

  @Test
  void releaseWithoutALeaseCompletes() {
    assertThat(keeper1.release()).isCompleted();
    assertThat(keeper1.maySequence()).isFalse();
  }

  @Test
  void stopCancelsRenewalAndNeverCallsLostAndTheLeaseLapses() {
    keeper1.acquire().join();
    clock.advance(Duration.ofMillis(EVERY));
    keeper1.stop();
    keeper1.stop(); // idempotent
    assertThat(keeper1.maySequence()).isFalse();
    assertThat(keeper1.lease()).isNull();
    assertThat(code(keeper2.acquire())).as("not released").isEqualTo(ErrorCode.NOT_ADMIN);
    clock.advance(Duration.ofMillis(TTL));
    assertThat(link1.renewals).containsExactly(t0 + EVERY);
    assertThat(lane1.lost).isEmpty();
    assertThat(keeper2.acquire().join().epoch()).isEqualTo(2);
    clock.advance(Duration.ofMillis(TTL * 3));
    assertThat(lane1.lost).isEmpty();
  }

  @Test
  void stopWhileARenewalIsInFlightIgnoresItsAnswer() {
    keeper1.acquire().join();
    link1.holdAnswers = true;
    clock.advance(Duration.ofMillis(EVERY));
    keeper1.stop();
    link1.answerAll();
    assertThat(keeper1.maySequence()).isFalse();
    assertThat(keeper1.lease()).isNull();
    clock.advance(Duration.ofMillis(TTL * 3));
    assertThat(link1.renewals).hasSize(1);
    assertThat(lane1.lost).isEmpty();
  }

  @Test
  void releaseWhileAcquiringGivesTheGrantBack() {
    lane1.auto = false;
    CompletableFuture<Lease> acquired = keeper1.acquire();
    CompletableFuture<Void> released = keeper1.release();
    lane1.drain();
    assertThat(code(acquired)).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(failure(acquired).getMessage()).contains("released while acquiring");
    assertThat(released).isCompleted();
    assertThat(current()).isEmpty();
    assertThat(keeper1.maySequence()).isFalse();
    assertThat(keeper2.acquire().join().epoch()).isEqualTo(2);
  }

  @Test
  void stopWhileAcquiringFailsTheAcquireAndRenewsNothing() {
    lane1.auto = false;
    CompletableFuture<Lease> acquired = keeper1.acquire();
    keeper1.stop();
    lane1.drain();
    assertThat(code(acquired)).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(keeper1.maySequence()).isFalse();
    lane1.auto = true;
    clock.advance(Duration.ofMillis(TTL * 3));
    assertThat(link1.renewals).isEmpty();
    assertThat(lane1.lost).isEmpty();
  }

  @Test
  void aLostKeeperMayAcquireAgainWithANewEpochAndIsToldOncePerLease() {
    keeper1.acquire().join();
    link1.cut = true;
    clock.advance(Duration.ofMillis(TTL));
    assertThat(lane1.lost).hasSize(1);
    link1.cut = false;
    assertThat(keeper1.acquire().join().epoch()).isEqualTo(2);
    assertThat(keeper1.maySequence()).isTrue();
    link1.cut = true;
    clock.advance(Duration.ofMillis(TTL * 3));
    assertThat(lane1.lost).hasSize(2);
    assertThat(lane1.lost.get(1)).contains("epoch 2");
  }

  // ---- helpers ----

  private Optional<Lease> current() {
    return backend.current(ROOM).join();
  }

  private static Throwable failure(CompletableFuture<?> f) {
    assertThat(f).isCompletedExceptionally();
    return f.handle((v, e) -> e).join();
  }

  private static ErrorCode code(CompletableFuture<?> f) {
    return ChatException.from(failure(f)).code();
  }

  /**
   * A room lane: with {@code auto} a task runs at once (tasks posted while one runs wait their
   * turn), else tasks wait for {@link #drain()}. Records lost() calls and checks they are on the lane.
   */
  private static final class Lane implements LeaseKeeper.Host {
    final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    final List<String> lost = new ArrayList<>();
    boolean auto = true;
    boolean running;

    @Override
    public void onLane(Runnable task) {
      tasks.add(task);
      if (auto && !running) {
        drain();
      }
    }

    @Override
    public void lost(String why) {
      assertThat(running).as("lost() on the lane").isTrue();
      lost.add(why);
    }

    void drain() {
      running = true;
      try {
        Runnable r;
        while ((r = tasks.poll()) != null) {
          r.run();
        }
      } finally {
        running = false;
      }
    }
  }

  /**
   * One node's view of the backend: records renewal times; {@code cut} fails every call
   * UNAVAILABLE (this node only); {@code holdAnswers} passes acquires and renewals to the backend
   * at once but holds their answers until {@link #answerAll()}.
   */
  private final class Link implements RoomLeases {
    final RoomLeases target;
    final List<Long> renewals = new ArrayList<>();
    final List<Runnable> answers = new ArrayList<>();
    boolean cut;
    boolean holdAnswers;

    Link(RoomLeases target) {
      this.target = target;
    }

    private <T> CompletableFuture<T> unlessCut(java.util.function.Supplier<CompletableFuture<T>> call) {
      return cut ? CompletableFuture.failedFuture(new ChatException(ErrorCode.UNAVAILABLE, "cut off (test)")) : call.get();
    }

    @Override
    public CompletableFuture<Lease> acquire(String room, NodeId node, Duration ttl) {
      return held(unlessCut(() -> target.acquire(room, node, ttl)));
    }

    @Override
    public CompletableFuture<Lease> takeOver(String room, NodeId node, Duration ttl) {
      return held(unlessCut(() -> target.takeOver(room, node, ttl)));
    }

    @Override
    public CompletableFuture<Void> retire(Lease lease) {
      return unlessCut(() -> target.retire(lease));
    }

    @Override
    public CompletableFuture<Boolean> retired(String room) {
      return unlessCut(() -> target.retired(room));
    }

    @Override
    public CompletableFuture<Lease> renew(Lease lease) {
      renewals.add(clock.millis());
      return held(unlessCut(() -> target.renew(lease)));
    }

    private CompletableFuture<Lease> held(CompletableFuture<Lease> answer) {
      if (!holdAnswers) {
        return answer;
      }
      CompletableFuture<Lease> late = new CompletableFuture<>();
      answers.add(() -> answer.whenComplete((l, e) -> {
        if (e != null) {
          late.completeExceptionally(e);
        } else {
          late.complete(l);
        }
      }));
      return late;
    }

    void answerAll() {
      List<Runnable> now = new ArrayList<>(answers);
      answers.clear();
      now.forEach(Runnable::run);
    }

    @Override
    public CompletableFuture<Void> release(Lease lease) {
      return unlessCut(() -> target.release(lease));
    }

    @Override
    public CompletableFuture<Optional<Lease>> current(String room) {
      return unlessCut(() -> target.current(room));
    }

    @Override
    public CompletableFuture<Void> fence(String room, long epoch) {
      return unlessCut(() -> target.fence(room, epoch));
    }

    @Override
    public Observation observe(String room, Listener listener) {
      return target.observe(room, listener);
    }

    @Override
    public void close() {}
  }
}
