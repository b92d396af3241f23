package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.Failover;
import io.chatmesh.NodeId;
import io.chatmesh.spi.lease.Lease;
import io.chatmesh.spi.lease.RoomLeases;
import io.chatmesh.time.ChatClock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one room's lease ({@link RoomLeases}) for this node while it administers the room: acquires
 * it, renews it every {@link Failover#renewInterval()}, and tells its room when it must stop
 * sequencing.
 *
 * <p><b>The timing rule</b> (see the {@code io.chatmesh.spi.lease} package documentation). A lease
 * granted or renewed by a request sent at {@code t} (this node's {@link ChatClock}) expires at
 * {@code expiresAt = t + leaseDuration} at the latest, never later than the backend's own expiry.
 * Renewals start every {@code renewInterval}, counted from when the previous grant or renewal was
 * sent; one renewal is in flight at a time. The room may sequence while {@code clock.millis() <
 * stopAt}, where {@code stopAt = expiresAt - maxClockDrift} of the lease as last granted or renewed
 * ({@link Lease#stopAtMillis(Duration)}): {@link #maySequence()} reads the clock, so it turns false
 * at {@code stopAt} even if no timer has run yet, whether or not a renewal is still in flight; the
 * backend cannot grant the lease elsewhere before {@code expiresAt}, which is later by the drift
 * bound. A renewal refused {@link ErrorCode#NOT_ADMIN} (lapsed or taken) loses the lease at once; a
 * renewal failing otherwise ({@link ErrorCode#UNAVAILABLE}: the backend is unreachable) keeps it and
 * is tried again at the next interval, and a timer at {@code stopAt} loses the lease if none has
 * succeeded by then. A renewal that succeeds only once {@code stopAt} has passed does not revive the
 * lease: it has been lost, and the renewed lease is released so that another node need not wait for
 * it to lapse.
 *
 * <p><b>Threads.</b> The room's state is confined to its lane ({@link Host#onLane}): {@link
 * #maySequence()}, {@link #lease()} and {@link #stop()} are called on the lane; {@link #acquire()}
 * and {@link #release()} may be called on any thread, the lane included. Every completion (of the
 * backend's futures and of the timers) is handled on the lane, and {@link Host#lost} and the
 * futures returned here complete on it. The promise that no {@link Host#lost} follows {@link
 * #release()} or {@link #stop()} holds for calls on the lane; a release from another thread may
 * cross a lost() the lane is delivering. The small state is guarded by a lock; the lease and its stop
 * time are published through one volatile field, so {@link #maySequence()} costs a volatile read
 * and a clock read.
 *
 * <p><b>Errors.</b> {@link #acquire()} fails with the backend's {@link ChatException}: {@link
 * ErrorCode#NOT_ADMIN} naming the holder when another node holds the lease, {@link
 * ErrorCode#UNAVAILABLE} when the backend cannot be reached, or when this keeper was stopped or
 * released while acquiring. Calling it while a lease is held or being acquired is a bug ({@link
 * IllegalStateException}).
 */
final class LeaseKeeper {
  private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);

  /** What the keeper needs from its room. */
  interface Host {
    /** Runs task on the room's lane (a serial executor). */
    void onLane(Runnable task);

    /**
     * The lease was lost (renewal refused NOT_ADMIN, or no successful renewal before the stop
     * time): stop sequencing now. Called at most once per acquired lease, on the lane.
     */
    void lost(String why);
  }

  /** Why a tenure ended. */
  private enum End {
    LOST,
    RELEASED,
    STOPPED
  }

  /** The lease as last granted or renewed and the last millisecond after which sequencing stops. */
  private record Held(Lease lease, long stopAt) {}

  private final String room;
  private final NodeId self;
  private final RoomLeases leases;
  private final Duration ttl;
  private final Duration renewInterval;
  private final Duration maxDrift;
  private final ChatClock clock;
  private final Host host;
  private final Object lock = new Object();

  /** The tenure being acquired or held; null when none. Guarded by {@link #lock}. */
  private @Nullable Tenure tenure;

  /** The current tenure's lease and stop time; null unless a lease is held. Written under the lock. */
  private volatile @Nullable Held held;

  LeaseKeeper(String room, NodeId self, RoomLeases leases, Failover settings, ChatClock clock, Host host) {
    this.room = room;
    this.self = self;
    this.leases = leases;
    this.ttl = settings.leaseDuration();
    this.renewInterval = settings.renewInterval();
    this.maxDrift = settings.maxClockDrift();
    this.clock = clock;
    this.host = host;
  }

  /**
   * Acquires the lease (ttl = leaseDuration); the returned future completes on the lane with the
   * lease, or fails with ChatException (NOT_ADMIN when another node holds it, with the backend's
   * message naming the holder; UNAVAILABLE when the backend cannot be reached). On success, renews
   * every renewInterval until release()/stop()/loss. A grant answered only after its own stop time
   * fails UNAVAILABLE (and is released). Right after {@link #release()}, chain on its future: until
   * the release is through, the backend still sees this node's lease and refuses NOT_ADMIN.
   *
   * @throws IllegalStateException when a lease is held or being acquired (a bug)
   */
  CompletableFuture<Lease> acquire() {
    return start(false);
  }

  /**
   * As {@link #acquire()}, to take the room over from its previous admin ({@link
   * RoomLeases#takeOver}): fails {@link ErrorCode#UNKNOWN_ROOM} when the room was deleted (retired
   * at the backend).
   *
   * @throws IllegalStateException when a lease is held or being acquired (a bug)
   */
  CompletableFuture<Lease> takeOver() {
    return start(true);
  }

  private CompletableFuture<Lease> start(boolean takeover) {
    Tenure t;
    synchronized (lock) {
      if (tenure != null) {
        throw new IllegalStateException(
            "the lease of room '" + room + "' is already " + (tenure.lease == null ? "being acquired" : "held") + " by " + self.value());
      }
      t = new Tenure();
      tenure = t;
    }
    long sentAt = clock.millis();
    call(() -> takeover ? leases.takeOver(room, self, ttl) : leases.acquire(room, self, ttl))
        .whenComplete((lease, error) -> host.onLane(() -> granted(t, sentAt, lease, error)));
    return t.acquired;
  }

  /**
   * Retires the room at the backend with the lease held ({@link RoomLeases#retire}): the commit
   * point of the room's deletion. The tenure ends first (nothing more is renewed, maySequence() is
   * false, no lost() follows), whatever the outcome. Completes on the lane; fails with the
   * backend's {@link ChatException} ({@link ErrorCode#NOT_ADMIN} when the lease was lost, {@link
   * ErrorCode#UNAVAILABLE}: the outcome is unknown), or NOT_ADMIN at once when no lease is held.
   */
  CompletableFuture<Void> retire() {
    Lease lease;
    synchronized (lock) {
      Tenure t = tenure;
      lease = t == null ? null : t.lease;
      if (t != null && lease != null) {
        end(t, End.RELEASED);
      }
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (lease == null) {
      host.onLane(() -> done.completeExceptionally(
          new ChatException(ErrorCode.NOT_ADMIN, "node " + self.value() + " holds no lease on room '" + room + "' to retire it with")));
      return done;
    }
    call(() -> leases.retire(lease)).whenComplete((v, error) -> host.onLane(() -> {
      if (error == null) {
        log.info("retired room '{}' at the lease backend with its lease at epoch {}", room, lease.epoch());
        done.complete(null);
      } else {
        done.completeExceptionally(ChatException.from(error));
      }
    }));
    return done;
  }

  /**
   * Lane only: whether this node may sequence now: it holds a lease and the clock is before the
   * lease's stop time. Cheap: one volatile read and one clock read.
   */
  boolean maySequence() {
    Held h = held;
    return h != null && clock.millis() < h.stopAt;
  }

  /** Lane only: the lease as last granted or renewed, or null when none is held. */
  @Nullable Lease lease() {
    Held h = held;
    return h == null ? null : h.lease;
  }

  /**
   * Stops renewing and releases the lease so another node can take it at once. Completes on the
   * lane when released or when the release failed (logged; the lease then lapses). After it,
   * maySequence() is false and lost() is not called. Does nothing (but complete) when no lease is
   * held; while acquiring, the lease is released as soon as it is granted.
   */
  CompletableFuture<Void> release() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Lease lease;
    synchronized (lock) {
      Tenure t = tenure;
      if (t != null) {
        end(t, End.RELEASED);
        if (t.lease == null) {
          t.releasedWhileAcquiring = done; // granted() releases it
          return done;
        }
      }
      lease = t == null ? null : t.lease;
    }
    if (lease == null) {
      host.onLane(() -> done.complete(null));
    } else {
      giveBack(lease, done);
    }
    return done;
  }

  /** Stops renewing without releasing (the lease lapses by itself). No lost() call afterwards. Idempotent. */
  void stop() {
    synchronized (lock) {
      Tenure t = tenure;
      if (t != null) {
        end(t, End.STOPPED);
        if (t.lease != null) {
          log.info("stopped renewing the lease on room '{}' at epoch {}; it lapses by itself", room, t.lease.epoch());
        }
      }
    }
  }

  // ---- on the lane ----

  private void granted(Tenure t, long sentAt, @Nullable Lease lease, @Nullable Throwable error) {
    if (error != null || lease == null) {
      ChatException e = error == null ? new ChatException(ErrorCode.INTERNAL, "lease backend granted nothing") : ChatException.from(error);
      CompletableFuture<Void> release;
      synchronized (lock) {
        if (tenure == t) {
          tenure = null;
        }
        release = t.releasedWhileAcquiring;
      }
      t.acquired.completeExceptionally(e);
      if (release != null) {
        release.complete(null);
      }
      return;
    }
    String refusal = null;
    CompletableFuture<Void> release = null;
    synchronized (lock) {
      if (tenure != t) {
        refusal = "the lease keeper of room '" + room + "' was " + (t.end == End.RELEASED ? "released" : "stopped") + " while acquiring";
        release = t.releasedWhileAcquiring;
      } else if (clock.millis() >= lease.stopAtMillis(maxDrift)) {
        end(t, End.LOST);
        refusal = "the lease on room '" + room + "' at epoch " + lease.epoch() + " was granted too late to be used (past its stop time)";
        release = new CompletableFuture<>();
      } else {
        t.lease = lease;
        held = new Held(lease, lease.stopAtMillis(maxDrift));
        scheduleRenewal(t, sentAt);
        scheduleStopCheck(t);
      }
    }
    if (refusal != null) {
      t.acquired.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE, refusal));
      if (release != null) {
        giveBack(lease, release);
      }
      return;
    }
    log.info("acquired the lease on room '{}' at epoch {} for {}", room, lease.epoch(), self.value());
    t.acquired.complete(lease);
  }

  private void renewNow(Tenure t) {
    Lease lease;
    String lostWhy = null;
    synchronized (lock) {
      t.renewTimer = null;
      if (tenure != t || t.lease == null || t.renewing) {
        return;
      }
      lease = t.lease;
      if (clock.millis() >= stopAt(t)) {
        lostWhy = lose(t, stopTimeMessage(t));
      } else {
        t.renewing = true;
      }
    }
    if (lostWhy != null) {
      tellLost(lostWhy);
      return;
    }
    long sentAt = clock.millis();
    call(() -> leases.renew(lease)).whenComplete((renewed, error) -> host.onLane(() -> renewed(t, sentAt, renewed, error)));
  }

  private void renewed(Tenure t, long sentAt, @Nullable Lease renewed, @Nullable Throwable error) {
    ChatException e = error == null ? null : ChatException.from(error);
    boolean late = false;
    String lostWhy = null;
    synchronized (lock) {
      t.renewing = false;
      Lease lease = t.lease;
      if (tenure != t || lease == null) {
        late = t.end == End.LOST;
      } else if (clock.millis() >= stopAt(t)) {
        // the answer came after the stop time: the lease counts as lost whatever the answer says
        late = true;
        lostWhy = lose(t, stopTimeMessage(t));
      } else if (e == null && renewed != null) {
        t.lease = renewed;
        t.lastError = null;
        held = new Held(renewed, renewed.stopAtMillis(maxDrift));
        scheduleRenewal(t, sentAt);
        scheduleStopCheck(t);
      } else if (e != null && e.code() == ErrorCode.NOT_ADMIN) {
        lostWhy = lose(t, "the lease on room '" + room + "' at epoch " + lease.epoch() + " was refused renewal: " + e.detail());
      } else {
        t.lastError = e == null ? "the backend renewed nothing" : e.getMessage();
        log.warn("could not renew the lease on room '{}' at epoch {} ({}); trying again within {}", room, lease.epoch(), t.lastError,
            renewInterval);
        scheduleRenewal(t, sentAt);
      }
    }
    if (lostWhy != null) {
      tellLost(lostWhy);
    }
    if (late && e == null && renewed != null) {
      // renewed after it was given up: release it so that another node need not wait for it to lapse
      giveBack(renewed, new CompletableFuture<>());
    }
  }

  private void stopTimeReached(Tenure t) {
    String lostWhy;
    synchronized (lock) {
      t.stopTimer = null;
      if (tenure != t || t.lease == null) {
        return;
      }
      if (clock.millis() < stopAt(t)) {
        scheduleStopCheck(t); // renewed meanwhile
        return;
      }
      lostWhy = lose(t, stopTimeMessage(t));
    }
    tellLost(lostWhy);
  }

  // ---- helpers ----

  /** Under the lock: ends {@code t} as lost; the caller then passes the returned reason to {@link #tellLost}. */
  private String lose(Tenure t, String why) {
    end(t, End.LOST);
    return why;
  }

  /** On the lane, outside the lock: tells the host that the lease was lost. */
  private void tellLost(String why) {
    log.warn("lost the lease on room '{}' for {}: {}", room, self.value(), why);
    host.lost(why);
  }

  /** Ends the tenure: nothing more is renewed or checked, and maySequence() is false. Under the lock. */
  private void end(Tenure t, End why) {
    t.end = why;
    if (tenure == t) {
      tenure = null;
      held = null;
    }
    if (t.renewTimer != null) {
      t.renewTimer.cancel();
      t.renewTimer = null;
    }
    if (t.stopTimer != null) {
      t.stopTimer.cancel();
      t.stopTimer = null;
    }
  }

  /** Under the lock: the next renewal, {@code renewInterval} after the previous request was sent. */
  private void scheduleRenewal(Tenure t, long previousSentAt) {
    long delay = Math.max(0, previousSentAt + renewInterval.toMillis() - clock.millis());
    t.renewTimer = clock.schedule(Duration.ofMillis(delay), () -> host.onLane(() -> renewNow(t)));
  }

  /** Under the lock: (re)arms the timer at the current stop time. */
  private void scheduleStopCheck(Tenure t) {
    if (t.stopTimer != null) {
      t.stopTimer.cancel();
    }
    long delay = Math.max(0, stopAt(t) - clock.millis());
    t.stopTimer = clock.schedule(Duration.ofMillis(delay), () -> host.onLane(() -> stopTimeReached(t)));
  }

  private long stopAt(Tenure t) {
    Lease lease = t.lease;
    return lease == null ? Long.MIN_VALUE : lease.stopAtMillis(maxDrift);
  }

  private String stopTimeMessage(Tenure t) {
    Lease lease = t.lease;
    return "could not renew the lease on room '" + room + "' at epoch " + (lease == null ? "?" : lease.epoch())
        + " before its stop time" + (t.lastError == null ? "" : " (last error: " + t.lastError + ")");
  }

  /** Releases {@code lease} at the backend; {@code done} completes on the lane either way. */
  private void giveBack(Lease lease, CompletableFuture<Void> done) {
    call(() -> leases.release(lease)).whenComplete((v, error) -> host.onLane(() -> {
      if (error == null) {
        log.info("released the lease on room '{}' at epoch {}", room, lease.epoch());
      } else {
        log.warn("could not release the lease on room '{}' at epoch {} ({}); it lapses by itself", room, lease.epoch(),
            ChatException.from(error).getMessage());
      }
      done.complete(null);
    }));
  }

  /** A backend call whose synchronous throw becomes a failed future. */
  private static <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> request) {
    try {
      return request.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** One acquisition: from acquire() until the lease is lost, released or stopped. Guarded by the lock. */
  private static final class Tenure {
    final CompletableFuture<Lease> acquired = new CompletableFuture<>();
    @Nullable Lease lease;
    boolean renewing;
    @Nullable String lastError;
    @Nullable End end;
    ChatClock.@Nullable Cancellable renewTimer;
    ChatClock.@Nullable Cancellable stopTimer;
    @Nullable CompletableFuture<Void> releasedWhileAcquiring;
  }
}
