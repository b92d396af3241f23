package io.chatmesh.lease;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.spi.lease.DistinctLeaseListener;
import io.chatmesh.spi.lease.Lease;
import io.chatmesh.spi.lease.LeaseChecks;
import io.chatmesh.spi.lease.RoomLeases;
import io.chatmesh.time.ChatClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * {@link RoomLeases} held in this JVM's memory, for tests and one-JVM clusters: every node of the
 * cluster must share the one instance. Expiry is judged by the given {@link ChatClock}, so a test
 * with a {@link io.chatmesh.time.ManualClock} lapses a lease by advancing the clock. Epochs are kept
 * per room for the life of the instance (also after release), so they never repeat; so is the
 * retired mark of a deleted room ({@link #retire}).
 *
 * <p>Every call completes before it returns. {@link #setAvailable(boolean)} simulates an
 * unreachable consensus engine: while off, every call fails with {@link ErrorCode#UNAVAILABLE}.
 *
 * <p>Thread-safe: one lock guards the state; listeners are called under it, so they must not block
 * (they may call this instance again from the same thread).
 */
public final class InMemoryRoomLeases implements RoomLeases {
  private final ChatClock clock;
  private final Map<String, Slot> rooms = new HashMap<>();
  private final Map<String, List<DistinctLeaseListener>> watchers = new HashMap<>();
  private boolean available = true;
  private boolean closed;

  /**
   * Leases judged by {@code clock}.
   *
   * @param clock the time source; a shared {@link io.chatmesh.time.ManualClock} in tests
   */
  public InMemoryRoomLeases(ChatClock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Leases judged by the system clock. */
  public InMemoryRoomLeases() {
    this(ChatClock.system());
  }

  /**
   * Simulates losing (or regaining) the consensus engine: while not available every call fails
   * with {@link ErrorCode#UNAVAILABLE}; leases keep lapsing by the clock meanwhile.
   *
   * @param available false to fail every call
   */
  public synchronized void setAvailable(boolean available) {
    this.available = available;
  }

  @Override
  public CompletableFuture<Lease> acquire(String room, NodeId node, Duration ttl) {
    return call(() -> grant(room, node, ttl, false));
  }

  @Override
  public CompletableFuture<Lease> takeOver(String room, NodeId node, Duration ttl) {
    return call(() -> grant(room, node, ttl, true));
  }

  /** Under the lock: grants the next epoch if nobody holds the lease (a takeover: if not retired). */
  private Lease grant(String room, NodeId node, Duration ttl, boolean takeover) {
    LeaseChecks.acquire(room, node, ttl);
    Slot slot = rooms.computeIfAbsent(room, r -> new Slot());
    if (takeover && slot.retired) {
      throw LeaseChecks.retired(room);
    }
    Lease held = slot.live(clock.millis());
    if (held != null) {
      throw LeaseChecks.held(held);
    }
    slot.lease = new Lease(room, node, slot.epoch + 1, ttl, clock.millis() + ttl.toMillis());
    slot.epoch = slot.lease.epoch();
    slot.retired = false;
    changed(room, slot);
    return slot.lease;
  }

  @Override
  public CompletableFuture<Void> retire(Lease lease) {
    return call(() -> {
      LeaseChecks.notNull(lease, "lease");
      Slot slot = rooms.get(lease.room());
      Lease held = slot == null ? null : slot.live(clock.millis());
      if (held == null || held.epoch() != lease.epoch() || !held.holder().equals(lease.holder())) {
        throw LeaseChecks.lost(lease, held);
      }
      slot.lease = null;
      slot.retired = true;
      changed(lease.room(), slot);
      return null;
    });
  }

  @Override
  public CompletableFuture<Boolean> retired(String room) {
    return call(() -> {
      LeaseChecks.room(room);
      Slot slot = rooms.get(room);
      return slot != null && slot.retired;
    });
  }

  @Override
  public CompletableFuture<Lease> renew(Lease lease) {
    return call(() -> {
      LeaseChecks.notNull(lease, "lease");
      Slot slot = rooms.get(lease.room());
      Lease held = slot == null ? null : slot.live(clock.millis());
      if (held == null || held.epoch() != lease.epoch() || !held.holder().equals(lease.holder())) {
        throw LeaseChecks.lost(lease, held);
      }
      slot.lease = new Lease(lease.room(), lease.holder(), lease.epoch(), lease.ttl(), clock.millis() + lease.ttl().toMillis());
      changed(lease.room(), slot);
      return slot.lease;
    });
  }

  @Override
  public CompletableFuture<Void> release(Lease lease) {
    return call(() -> {
      LeaseChecks.notNull(lease, "lease");
      Slot slot = rooms.get(lease.room());
      Lease held = slot == null ? null : slot.live(clock.millis());
      if (held != null && held.epoch() == lease.epoch() && held.holder().equals(lease.holder())) {
        slot.lease = null;
        changed(lease.room(), slot);
      }
      return null;
    });
  }

  @Override
  public CompletableFuture<Optional<Lease>> current(String room) {
    return call(() -> {
      LeaseChecks.room(room);
      Slot slot = rooms.get(room);
      return Optional.ofNullable(slot == null ? null : slot.live(clock.millis()));
    });
  }

  @Override
  public CompletableFuture<Void> fence(String room, long epoch) {
    return call(() -> {
      LeaseChecks.room(room);
      Slot slot = rooms.get(room);
      long newest = slot == null ? 0 : slot.epoch;
      if (epoch != newest || newest == 0) {
        throw LeaseChecks.stale(room, epoch, newest);
      }
      return null;
    });
  }

  @Override
  public synchronized Observation observe(String room, Listener listener) {
    LeaseChecks.room(room);
    LeaseChecks.notNull(listener, "listener");
    if (closed) {
      throw new ChatException(ErrorCode.UNAVAILABLE, "in-memory leases are closed");
    }
    DistinctLeaseListener w = new DistinctLeaseListener(listener);
    watchers.computeIfAbsent(room, r -> new ArrayList<>()).add(w);
    Slot slot = rooms.get(room);
    w.changed(room, Optional.ofNullable(slot == null ? null : slot.live(clock.millis())));
    return () -> {
      synchronized (InMemoryRoomLeases.this) {
        List<DistinctLeaseListener> list = watchers.get(room);
        if (list != null) {
          list.remove(w);
        }
      }
    };
  }

  @Override
  public synchronized void close() {
    closed = true;
    watchers.clear();
    rooms.values().forEach(s -> s.cancelLapse());
  }

  private synchronized <T> CompletableFuture<T> call(Supplier<T> body) {
    try {
      if (closed) {
        throw new ChatException(ErrorCode.UNAVAILABLE, "in-memory leases are closed");
      }
      if (!available) {
        throw new ChatException(ErrorCode.UNAVAILABLE, "in-memory lease service is switched off (simulated outage)");
      }
      return CompletableFuture.completedFuture(body.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(ChatException.from(e));
    }
  }

  /** Tells the room's watchers and schedules the lapse notice; caller holds the lock. */
  private void changed(String room, Slot slot) {
    slot.cancelLapse();
    Lease lease = slot.lease;
    if (lease != null) {
      long delay = Math.max(0, lease.expiresAtMillis() - clock.millis());
      slot.lapse = clock.schedule(Duration.ofMillis(delay), () -> lapsed(room, lease));
    }
    for (DistinctLeaseListener w : watchers.getOrDefault(room, List.of())) {
      w.changed(room, Optional.ofNullable(lease));
    }
  }

  private synchronized void lapsed(String room, Lease lease) {
    Slot slot = rooms.get(room);
    if (!closed && slot != null && slot.lease == lease) {
      slot.lapse = null;
      for (DistinctLeaseListener w : watchers.getOrDefault(room, List.of())) {
        w.changed(room, Optional.empty());
      }
    }
  }

  /** One room: the newest epoch ever granted, the lease last granted or renewed, the retired mark. */
  private static final class Slot {
    long epoch;
    boolean retired;
    @Nullable Lease lease;
    ChatClock.@Nullable Cancellable lapse;

    @Nullable Lease live(long now) {
      return lease != null && now < lease.expiresAtMillis() ? lease : null;
    }

    void cancelLapse() {
      if (lapse != null) {
        lapse.cancel();
        lapse = null;
      }
    }
  }
}
