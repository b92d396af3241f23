package io.chatmesh.nemesis;

import io.chatmesh.NodeId;
import io.chatmesh.history.InMemoryHistoryStore;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.time.ChatClock;
import io.chatmesh.spi.history.HistoryEntry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One node's in-memory history that outlives the node (closing it keeps the data, so a restarted
 * node finds its rooms), and that can be made slow: appends then complete, and become readable,
 * only after a delay on the shared clock, like a held group commit. Thread-safe.
 */
final class KeptHistoryStore implements HistoryStore {
  private final InMemoryHistoryStore delegate = InMemoryHistoryStore.create();
  private final ChatClock clock;
  private volatile Duration slow = Duration.ZERO;

  KeptHistoryStore(ChatClock clock) {
    this.clock = clock;
  }

  /** From now on appends complete after {@code delay} ({@link Duration#ZERO}: at once). */
  void slow(Duration delay) {
    this.slow = delay;
  }

  @Override
  public void saveRoom(String room, NodeId admin, long epoch) {
    delegate.saveRoom(room, admin, epoch);
  }

  @Override
  public List<StoredRoom> rooms(NodeId admin) {
    return delegate.rooms(admin);
  }

  @Override
  public void deleteRoom(String room) {
    delegate.deleteRoom(room);
  }

  @Override
  public CompletableFuture<Void> append(List<HistoryEntry> entries) {
    Duration d = slow;
    if (d.isZero()) {
      return delegate.append(entries);
    }
    CompletableFuture<Void> out = new CompletableFuture<>();
    clock.schedule(d, () -> delegate.append(entries).whenComplete((v, e) -> {
      if (e != null) {
        out.completeExceptionally(e);
      } else {
        out.complete(null);
      }
    }));
    return out;
  }

  @Override
  public List<HistoryEntry> readAfter(String room, long afterSeq, int limit) {
    return delegate.readAfter(room, afterSeq, limit);
  }

  @Override
  public List<HistoryEntry> readBefore(String room, long beforeSeq, int limit) {
    return delegate.readBefore(room, beforeSeq, limit);
  }

  @Override
  public Optional<Position> lastPosition(String room) {
    return delegate.lastPosition(room);
  }

  @Override
  public long oldestSeq(String room) {
    return delegate.oldestSeq(room);
  }

  /** Keeps the data: the next process of the node reads it. */
  @Override
  public void close() {}
}
