package io.chatmesh.testkit;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.lease.InMemoryRoomLeases;
import io.chatmesh.spi.lease.Lease;
import io.chatmesh.spi.lease.RoomLeases;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One node's view of a shared {@link InMemoryRoomLeases}, which a test can cut off (the node can no
 * longer reach the consensus engine: every call fails UNAVAILABLE) - as a crashed node, or one
 * partitioned away from etcd, would be. Thread-safe.
 */
public final class CuttableLeases implements RoomLeases {
  private final InMemoryRoomLeases shared;
  private final String node;
  private final Set<String> cut;

  private final Set<String> noAcquire;

  private CuttableLeases(InMemoryRoomLeases shared, String node, Set<String> cut, Set<String> noAcquire) {
    this.shared = shared;
    this.node = node;
    this.cut = cut;
    this.noAcquire = noAcquire;
  }

  /** The leases of a test cluster: one shared backend, one view per node. */
  public static final class Net {
    private final InMemoryRoomLeases shared;
    private final Set<String> cut = ConcurrentHashMap.newKeySet();
    private final Set<String> noAcquire = ConcurrentHashMap.newKeySet();

    public Net(InMemoryRoomLeases shared) {
      this.shared = shared;
    }

    public CuttableLeases view(String node) {
      return new CuttableLeases(shared, node, cut, noAcquire);
    }

    public void cut(String node) {
      cut.add(node);
    }

    public void heal(String node) {
      cut.remove(node);
      noAcquire.remove(node);
    }

    /** {@code node} still reads and renews leases, but cannot take one (so another node wins a takeover). */
    public void refuseAcquire(String node) {
      noAcquire.add(node);
    }

    public InMemoryRoomLeases shared() {
      return shared;
    }
  }

  private <T> CompletableFuture<T> call(java.util.function.Supplier<CompletableFuture<T>> c) {
    if (cut.contains(node)) {
      return CompletableFuture.failedFuture(new ChatException(ErrorCode.UNAVAILABLE, "node " + node + " is cut off from the leases"));
    }
    return c.get();
  }

  @Override
  public CompletableFuture<Lease> acquire(String room, NodeId n, Duration ttl) {
    if (noAcquire.contains(node)) {
      return CompletableFuture.failedFuture(new ChatException(ErrorCode.UNAVAILABLE, "node " + node + " may not take leases in this test"));
    }
    return call(() -> shared.acquire(room, n, ttl));
  }

  @Override
  public CompletableFuture<Lease> takeOver(String room, NodeId n, Duration ttl) {
    if (noAcquire.contains(node)) {
      return CompletableFuture.failedFuture(new ChatException(ErrorCode.UNAVAILABLE, "node " + node + " may not take leases in this test"));
    }
    return call(() -> shared.takeOver(room, n, ttl));
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
    return shared.observe(room, listener);
  }

  @Override
  public void close() {
    // shared by the cluster: the test closes it
  }
}
