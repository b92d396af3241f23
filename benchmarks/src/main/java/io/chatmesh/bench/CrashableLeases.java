package io.chatmesh.bench;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.spi.lease.Lease;
import io.chatmesh.spi.lease.RoomLeases;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * One node's view of a lease backend shared by the cluster (an {@link
 * io.chatmesh.lease.InMemoryRoomLeases} in this JVM). {@link #crash()} makes it behave like the
 * node's process died: every later call fails with {@link ErrorCode#UNAVAILABLE} (so the dead node
 * neither renews nor releases its leases, which must lapse by themselves) and its observations go
 * quiet. Without this, a node cut off from its peers by a partition would still reach the in-JVM
 * backend and keep its leases: a partition, not a crash. {@link #close()} leaves the shared backend
 * open. Thread-safe.
 */
final class CrashableLeases implements RoomLeases {
  private final RoomLeases shared;
  private volatile boolean crashed;

  CrashableLeases(RoomLeases shared) {
    this.shared = shared;
  }

  /** From now on, every call fails and no listener of this node is called again. */
  void crash() {
    crashed = true;
  }

  private <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> c) {
    if (crashed) {
      return CompletableFuture.failedFuture(new ChatException(ErrorCode.UNAVAILABLE, "this node crashed (benchmark)"));
    }
    return c.get();
  }

  @Override
  public CompletableFuture<Lease> acquire(String room, NodeId node, Duration ttl) {
    return call(() -> shared.acquire(room, node, ttl));
  }

  @Override
  public CompletableFuture<Lease> takeOver(String room, NodeId node, Duration ttl) {
    return call(() -> shared.takeOver(room, node, ttl));
  }

  @Override
  public CompletableFuture<Void> retire(Lease lease) {
    return call(() -> shared.retire(lease));
  }

  @Override
  public CompletableFuture<Boolean> retired(String room) {
    return call(() -> shared.retired(room));
  }

  @Override
  public CompletableFuture<Lease> renew(Lease lease) {
    return call(() -> shared.renew(lease));
  }

  @Override
  public CompletableFuture<Void> release(Lease lease) {
    return call(() -> shared.release(lease));
  }

  @Override
  public CompletableFuture<Optional<Lease>> current(String room) {
    return call(() -> shared.current(room));
  }

  @Override
  public CompletableFuture<Void> fence(String room, long epoch) {
    return call(() -> shared.fence(room, epoch));
  }

  @Override
  public Observation observe(String room, Listener listener) {
    return shared.observe(room, (r, lease) -> {
      if (!crashed) {
        listener.changed(r, lease);
      }
    });
  }

  /** Leaves the shared backend open (the benchmark closes it once the cluster is gone). */
  @Override
  public void close() {}
}
