package io.chatmesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.spi.lease.Lease;
import io.chatmesh.spi.lease.RoomLeases;
import io.chatmesh.time.ChatClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link RoomLeases} must meet, written once and run by a tiny subclass per
 * implementation (in memory, JDBC on H2 and PostgreSQL, etcd). Each test uses rooms and node ids
 * with a fresh random prefix, so a shared backend needs no cleaning between tests or runs.
 *
 * <p>Time: the in-memory subclass moves a {@link io.chatmesh.time.ManualClock}; the others let real
 * time pass, because their backends judge expiry by their own clocks.
 */
public abstract class AbstractRoomLeasesTest {
  /** Bound on every wait for a future. */
  protected static final long TIMEOUT_SECONDS = 30;
  /** A lease duration no test outlives. */
  protected static final Duration LONG = Duration.ofMinutes(5);

  private final List<RoomLeases> opened = new ArrayList<>();
  /** The instance most tests use, opened before each test. */
  protected RoomLeases leases;
  private String prefix;

  /**
   * Opens a new instance on the shared backend: another node's view, or the same node after a
   * restart. Closed after the test.
   *
   * @return a fresh instance
   */
  protected abstract RoomLeases open();

  /**
   * An instance whose backend cannot be reached (a closed port, a stopped server).
   *
   * @return the instance; closed after the test
   */
  protected abstract RoomLeases openUnreachable();

  /**
   * How long a call to an unreachable backend may take before it fails.
   *
   * @return the implementation's request timeout plus slack
   */
  protected abstract Duration unreachableBound();

  /**
   * The shortest lease the backend supports well; tests that lapse a lease use it.
   *
   * @return a short ttl
   */
  protected abstract Duration shortTtl();

  /**
   * The clock the instances use for {@link Lease#expiresAtMillis()}.
   *
   * @return the system clock unless overridden
   */
  protected ChatClock clock() {
    return ChatClock.system();
  }

  /**
   * Lets {@code amount} of the backend's time pass; real backends wait in real time.
   *
   * @param amount how long
   */
  protected void pass(Duration amount) {
    long until = System.nanoTime() + amount.toNanos();
    await().pollDelay(amount).atMost(amount.plusSeconds(TIMEOUT_SECONDS)).until(() -> System.nanoTime() >= until);
  }

  /**
   * Waits until {@code lease} has lapsed as the backend sees it.
   *
   * @param lease a lease nobody renews
   */
  protected void letLapse(Lease lease) {
    await()
        .atMost(lease.ttl().plusSeconds(TIMEOUT_SECONDS))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> result(leases.current(lease.room())).filter(l -> l.epoch() == lease.epoch()).isEmpty());
  }

  @BeforeEach
  void openLeases() {
    prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + "-";
    leases = track(open());
  }

  @AfterEach
  void closeLeases() {
    for (RoomLeases l : opened) {
      l.close();
    }
    opened.clear();
  }

  /**
   * Closes {@code l} after the test.
   *
   * @param l an instance
   * @param <L> its type
   * @return {@code l}
   */
  protected <L extends RoomLeases> L track(L l) {
    opened.add(l);
    return l;
  }

  /**
   * A room name unique to this test.
   *
   * @param name a short name
   * @return the name with the test's prefix
   */
  protected String room(String name) {
    return prefix + name;
  }

  /**
   * A node id unique to this test.
   *
   * @param name a short name
   * @return the node id with the test's prefix
   */
  protected NodeId node(String name) {
    return NodeId.of(prefix + name);
  }

  /**
   * Waits for a future.
   *
   * @param f the future
   * @param <T> its value type
   * @return its value
   */
  protected static <T> T result(CompletableFuture<T> f) {
    try {
      return f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("expected success, got " + e, e);
    }
  }

  /**
   * Runs a call that must fail, whether it throws or returns a failed future.
   *
   * @param call the call
   * @return the failure
   */
  protected static ChatException failure(Supplier<CompletableFuture<?>> call) {
    CompletableFuture<?> f;
    try {
      f = call.get();
    } catch (ChatException e) {
      return e;
    }
    try {
      Object v = f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure, got " + v);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no answer in " + TIMEOUT_SECONDS + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } catch (java.util.concurrent.ExecutionException e) {
      return ChatException.from(e);
    }
  }

  @Test
  void acquiresAFreeLeaseWithAPositiveEpoch() {
    long before = clock().millis();
    Lease l = result(leases.acquire(room("a"), node("n1"), LONG));
    long after = clock().millis();
    assertThat(l.room()).isEqualTo(room("a"));
    assertThat(l.holder()).isEqualTo(node("n1"));
    assertThat(l.epoch()).isPositive();
    assertThat(l.ttl()).isEqualTo(LONG);
    assertThat(l.expiresAtMillis()).isBetween(before + LONG.toMillis(), after + LONG.toMillis());
    Lease seen = result(leases.current(room("a"))).orElseThrow();
    assertThat(seen.holder()).isEqualTo(node("n1"));
    assertThat(seen.epoch()).isEqualTo(l.epoch());
    assertThat(result(open().current(room("a"))).map(Lease::epoch)).contains(l.epoch());
  }

  @Test
  void refusesAHeldLeaseNamingTheHolder() {
    Lease l = result(leases.acquire(room("a"), node("n1"), LONG));
    RoomLeases other = track(open());
    ChatException e = failure(() -> other.acquire(room("a"), node("n2"), LONG));
    assertThat(e.code()).isEqualTo(ErrorCode.NOT_ADMIN);
    assertThat(e.getMessage()).contains(node("n1").value()).contains("epoch " + l.epoch());
    // the holder itself must renew, not acquire again
    assertThat(failure(() -> leases.acquire(room("a"), node("n1"), LONG)).code()).isEqualTo(ErrorCode.NOT_ADMIN);
    assertThat(result(other.current(room("a"))).map(Lease::holder)).contains(node("n1"));
    // other rooms are independent
    assertThat(result(other.acquire(room("b"), node("n2"), LONG)).holder()).isEqualTo(node("n2"));
  }

  @Test
  void renewalsKeepTheLeaseAndItsEpochPastItsTtl() {
    Duration ttl = shortTtl();
    Lease l = result(leases.acquire(room("a"), node("n1"), ttl));
    long epoch = l.epoch();
    for (int i = 0; i < 4; i++) {
      pass(ttl.dividedBy(2));
      long before = clock().millis();
      Lease renewed = result(leases.renew(l));
      assertThat(renewed.epoch()).isEqualTo(epoch);
      assertThat(renewed.holder()).isEqualTo(node("n1"));
      assertThat(renewed.expiresAtMillis()).isGreaterThanOrEqualTo(before + ttl.toMillis());
      l = renewed;
    }
    // twice the ttl has passed since the grant: only the renewals kept it
    assertThat(result(leases.current(room("a"))).map(Lease::epoch)).contains(epoch);
    assertThat(failure(() -> track(open()).acquire(room("a"), node("n2"), LONG)).code()).isEqualTo(ErrorCode.NOT_ADMIN);
  }

  @Test
  void aLapsedLeaseGoesToAnotherNodeWithAHigherEpochAndTheOldHolderCannotRenew() {
    Lease old = result(leases.acquire(room("a"), node("n1"), shortTtl()));
    letLapse(old);
    RoomLeases other = track(open());
    Lease taken = result(other.acquire(room("a"), node("n2"), LONG));
    assertThat(taken.epoch()).isGreaterThan(old.epoch());
    ChatException e = failure(() -> leases.renew(old));
    assertThat(e.code()).isEqualTo(ErrorCode.NOT_ADMIN);
    assertThat(e.getMessage()).contains("stop sequencing");
    // the old holder's release does not free the new holder's lease
    result(leases.release(old));
    assertThat(result(leases.current(room("a"))).map(Lease::epoch)).contains(taken.epoch());
  }

  @Test
  void aLapsedLeaseCannotBeRenewedEvenIfNobodyTookIt() {
    Lease old = result(leases.acquire(room("a"), node("n1"), shortTtl()));
    letLapse(old);
    assertThat(failure(() -> leases.renew(old)).code()).isEqualTo(ErrorCode.NOT_ADMIN);
    Lease again = result(leases.acquire(room("a"), node("n1"), LONG));
    assertThat(again.epoch()).isGreaterThan(old.epoch());
  }

  @Test
  void releaseFreesTheLeaseAtOnce() {
    Lease l = result(leases.acquire(room("a"), node("n1"), LONG));
    result(leases.release(l));
    assertThat(result(leases.current(room("a")))).isEmpty();
    Lease next = result(track(open()).acquire(room("a"), node("n2"), LONG));
    assertThat(next.epoch()).isGreaterThan(l.epoch());
    assertThat(failure(() -> leases.renew(l)).code()).isEqualTo(ErrorCode.NOT_ADMIN);
  }

  @Test
  void epochsNeverRepeatAcrossReleasesRestartsAndRecreation() {
    List<Long> epochs = new ArrayList<>();
    RoomLeases view = leases;
    for (int i = 0; i < 6; i++) {
      Lease l = result(view.acquire(room("a"), node("n" + (i % 3)), LONG));
      epochs.add(l.epoch());
      result(view.release(l)); // the room is deleted; the next acquire re-creates it
      if (i % 2 == 1) {
        view.close(); // a node restarts: a new instance on the same backend
        view = track(open());
      }
    }
    assertThat(epochs).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void fencingRefusesAnOlderEpochAndNamesTheNewest() {
    assertThat(failure(() -> leases.fence(room("a"), 1)).code()).isEqualTo(ErrorCode.NOT_ADMIN);
    Lease first = result(leases.acquire(room("a"), node("n1"), LONG));
    result(leases.fence(room("a"), first.epoch()));
    result(leases.release(first));
    result(leases.fence(room("a"), first.epoch())); // released, not superseded
    Lease second = result(leases.acquire(room("a"), node("n2"), LONG));
    ChatException e = failure(() -> leases.fence(room("a"), first.epoch()));
    assertThat(e.code()).isEqualTo(ErrorCode.NOT_ADMIN);
    assertThat(e.getMessage()).contains("newest epoch is " + second.epoch());
    result(leases.fence(room("a"), second.epoch()));
    assertThat(failure(() -> leases.fence(room("a"), second.epoch() + 1)).code()).isEqualTo(ErrorCode.NOT_ADMIN);
  }

  @Test
  void retireReleasesTheLeaseAndMarksTheRoomRetired() {
    assertThat(result(leases.retired(room("a")))).isFalse(); // never heard of
    Lease l = result(leases.acquire(room("a"), node("n1"), LONG));
    assertThat(result(leases.retired(room("a")))).isFalse();
    result(leases.retire(l));
    assertThat(result(leases.current(room("a")))).isEmpty();
    RoomLeases other = track(open());
    assertThat(result(other.retired(room("a")))).isTrue();
    assertThat(result(other.retired(room("b")))).isFalse(); // other rooms are independent
    assertThat(failure(() -> leases.renew(l)).code()).isEqualTo(ErrorCode.NOT_ADMIN);
    // a second retire with the same lease is refused: it is no longer the current lease
    assertThat(failure(() -> leases.retire(l)).code()).isEqualTo(ErrorCode.NOT_ADMIN);
    assertThat(result(other.retired(room("a")))).isTrue();
  }

  @Test
  void retireByAStaleLeaseIsRefusedAndChangesNothing() {
    Lease old = result(leases.acquire(room("a"), node("n1"), shortTtl()));
    letLapse(old);
    // lapsed, nobody took it: still refused
    assertThat(failure(() -> leases.retire(old)).code()).isEqualTo(ErrorCode.NOT_ADMIN);
    assertThat(result(leases.retired(room("a")))).isFalse();
    RoomLeases other = track(open());
    Lease taken = result(other.takeOver(room("a"), node("n2"), LONG));
    // taken by another node: the old holder cannot retire the room under it
    ChatException e = failure(() -> leases.retire(old));
    assertThat(e.code()).isEqualTo(ErrorCode.NOT_ADMIN);
    assertThat(result(leases.retired(room("a")))).isFalse();
    assertThat(result(leases.current(room("a"))).map(Lease::epoch)).contains(taken.epoch());
    // nor can a node retire with a lease of the right epoch under another holder's name
    Lease forged = new Lease(taken.room(), node("n1"), taken.epoch(), taken.ttl(), taken.expiresAtMillis());
    assertThat(failure(() -> leases.retire(forged)).code()).isEqualTo(ErrorCode.NOT_ADMIN);
    assertThat(result(leases.retired(room("a")))).isFalse();
  }

  @Test
  void takeOverGrantsLikeAcquireButRefusesARetiredRoom() {
    Lease first = result(leases.takeOver(room("a"), node("n1"), LONG)); // a room the backend never heard of
    assertThat(first.epoch()).isPositive();
    RoomLeases other = track(open());
    ChatException held = failure(() -> other.takeOver(room("a"), node("n2"), LONG));
    assertThat(held.code()).isEqualTo(ErrorCode.NOT_ADMIN);
    assertThat(held.getMessage()).contains(node("n1").value());
    result(leases.release(first));
    Lease second = result(other.takeOver(room("a"), node("n2"), LONG));
    assertThat(second.epoch()).isGreaterThan(first.epoch());
    result(other.retire(second));
    ChatException refused = failure(() -> leases.takeOver(room("a"), node("n1"), LONG));
    assertThat(refused.code()).isEqualTo(ErrorCode.UNKNOWN_ROOM);
    assertThat(refused.getMessage()).contains(room("a"));
    assertThat(result(leases.current(room("a")))).isEmpty();
    assertThat(result(leases.retired(room("a")))).isTrue(); // a refused takeover leaves the mark
  }

  @Test
  void acquireAfterRetireRecreatesTheRoomWithAHigherEpoch() {
    Lease l = result(leases.acquire(room("a"), node("n1"), LONG));
    result(leases.retire(l));
    RoomLeases other = track(open());
    Lease recreated = result(other.acquire(room("a"), node("n2"), LONG));
    assertThat(recreated.epoch()).isGreaterThan(l.epoch());
    assertThat(result(leases.retired(room("a")))).isFalse();
    result(other.release(recreated));
    // the re-created room can be taken over again, at a higher epoch still
    Lease next = result(leases.takeOver(room("a"), node("n1"), LONG));
    assertThat(next.epoch()).isGreaterThan(recreated.epoch());
    assertThat(failure(() -> other.fence(room("a"), l.epoch())).code()).isEqualTo(ErrorCode.NOT_ADMIN);
  }

  @Test
  void concurrentAcquiresEndWithExactlyOneHolder() throws Exception {
    int n = 8;
    List<RoomLeases> views = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      views.add(i < 2 ? track(open()) : views.get(i % 2)); // two instances, four threads each
    }
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Object>> outcomes = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        RoomLeases view = views.get(i);
        NodeId node = node("n" + i);
        outcomes.add(pool.submit(() -> {
          start.await();
          CompletableFuture<Lease> f = view.acquire(room("hot"), node, LONG);
          try {
            return f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
          } catch (java.util.concurrent.ExecutionException e) {
            return ChatException.from(e).code();
          }
        }));
      }
      start.countDown();
      List<Lease> granted = new ArrayList<>();
      List<Object> refused = new ArrayList<>();
      for (Future<Object> o : outcomes) {
        Object v = o.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (v instanceof Lease l) {
          granted.add(l);
        } else {
          refused.add(v);
        }
      }
      assertThat(granted).hasSize(1);
      assertThat(refused).hasSize(n - 1).containsOnly(ErrorCode.NOT_ADMIN);
      assertThat(result(leases.current(room("hot"))).map(Lease::holder)).contains(granted.get(0).holder());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void observersSeeGrantsReleasesAndLapses() throws Exception {
    LinkedBlockingQueue<Optional<Lease>> seen = new LinkedBlockingQueue<>();
    RoomLeases watcherView = track(open());
    try (RoomLeases.Observation o = watcherView.observe(room("a"), (r, l) -> seen.add(l))) {
      assertThat(seen.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEmpty();
      Lease l = result(leases.acquire(room("a"), node("n1"), LONG));
      assertThat(next(seen)).map(Lease::epoch).contains(l.epoch());
      result(leases.release(l));
      assertThat(next(seen)).isEmpty();
      Lease s = result(leases.acquire(room("a"), node("n2"), shortTtl()));
      assertThat(next(seen)).map(Lease::holder).contains(node("n2"));
      letLapse(s);
      assertThat(next(seen)).isEmpty();
      assertThat(o).isNotNull();
    }
  }

  /** The next reported state, skipping repeats of the same state a watcher may report. */
  private static Optional<Lease> next(LinkedBlockingQueue<Optional<Lease>> seen) throws InterruptedException {
    Optional<Lease> v = seen.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    assertThat(v).as("a change reported within %d s", TIMEOUT_SECONDS).isNotNull();
    return v;
  }

  @Test
  void anUnreachableBackendFailsWithUnavailableInBoundedTime() {
    RoomLeases dead = track(openUnreachable());
    long start = System.nanoTime();
    ChatException e = failure(() -> dead.acquire(room("a"), node("n1"), LONG));
    assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    ChatException c = failure(() -> dead.current(room("a")));
    assertThat(c.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(took).isLessThan(unreachableBound().multipliedBy(2));
    assertThat(failure(() -> dead.retired(room("a"))).code()).isEqualTo(ErrorCode.UNAVAILABLE);
  }

  @Test
  void badArgumentsAreRefusedWithBadRequest() {
    assertThat(failure(() -> leases.acquire(" ", node("n1"), LONG)).code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(failure(() -> leases.acquire(room("a"), node("n1"), Duration.ZERO)).code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(failure(() -> leases.acquire(room("a"), node("n1"), Duration.ofDays(2))).code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(failure(() -> leases.acquire("x".repeat(65), node("n1"), LONG)).code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(failure(() -> leases.current("")).code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(failure(() -> leases.takeOver("", node("n1"), LONG)).code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(failure(() -> leases.retired(" ")).code()).isEqualTo(ErrorCode.BAD_REQUEST);
  }
}
