package io.chatmesh.testkit;

import io.chatmesh.NodeId;
import io.chatmesh.lease.InMemoryRoomLeases;
import io.chatmesh.spi.lease.Lease;
import io.chatmesh.spi.lease.RoomLeases;
import io.chatmesh.time.ChatClock;
import io.chatmesh.time.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** The lease contract on {@link InMemoryRoomLeases}, with time moved by a {@link ManualClock}. */
class InMemoryRoomLeasesContractTest extends AbstractRoomLeasesTest {
  private final ManualClock clock = new ManualClock();
  private final InMemoryRoomLeases backend = new InMemoryRoomLeases(clock);

  @Override
  protected RoomLeases open() {
    return new View(backend);
  }

  @Override
  protected RoomLeases openUnreachable() {
    InMemoryRoomLeases down = new InMemoryRoomLeases(clock);
    down.setAvailable(false);
    return down;
  }

  @Override
  protected Duration unreachableBound() {
    return Duration.ofMillis(100);
  }

  @Override
  protected Duration shortTtl() {
    return Duration.ofSeconds(10);
  }

  @Override
  protected ChatClock clock() {
    return clock;
  }

  @Override
  protected void pass(Duration amount) {
    clock.advance(amount);
  }

  @Override
  protected void letLapse(Lease lease) {
    clock.advance(Duration.ofMillis(Math.max(0, lease.expiresAtMillis() - clock.millis())));
  }

  /** One node's handle on the shared instance: closing it stops only its own observations. */
  private static final class View implements RoomLeases {
    private final InMemoryRoomLeases shared;
    private final List<Observation> observations = new CopyOnWriteArrayList<>();

    View(InMemoryRoomLeases shared) {
      this.shared = shared;
    }

    @Override
    public CompletableFuture<Lease> acquire(String room, NodeId node, Duration ttl) {
      return shared.acquire(room, node, ttl);
    }

    @Override
    public CompletableFuture<Lease> takeOver(String room, NodeId node, Duration ttl) {
      return shared.takeOver(room, node, ttl);
    }

    @Override
    public CompletableFuture<Void> retire(Lease lease) {
      return shared.retire(lease);
    }

    @Override
    public CompletableFuture<Boolean> retired(String room) {
      return shared.retired(room);
    }

    @Override
    public CompletableFuture<Lease> renew(Lease lease) {
      return shared.renew(lease);
    }

    @Override
    public CompletableFuture<Void> release(Lease lease) {
      return shared.release(lease);
    }

    @Override
    public CompletableFuture<Optional<Lease>> current(String room) {
      return shared.current(room);
    }

    @Override
    public CompletableFuture<Void> fence(String room, long epoch) {
      return shared.fence(room, epoch);
    }

    @Override
    public Observation observe(String room, Listener listener) {
      Observation o = shared.observe(room, listener);
      observations.add(o);
      return o;
    }

    @Override
    public void close() {
      observations.forEach(Observation::close);
    }
  }
}
