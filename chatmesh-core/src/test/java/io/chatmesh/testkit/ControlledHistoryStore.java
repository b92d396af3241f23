package io.chatmesh.testkit;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.history.InMemoryHistoryStore;
import io.chatmesh.spi.history.HistoryEntry;
import io.chatmesh.spi.history.HistoryStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link HistoryStore} for engine tests: an {@link InMemoryHistoryStore} whose appends complete
 * later on another thread (like a JDBC store's group commit), and that can be told to fail appends
 * (nothing is stored then), and whose room records ({@link #saveRoom}, {@link #deleteRoom}) can be
 * made to block like a slow database ({@link #blockRoomRecords}). {@link #isStored} lets a test check
 * that an acked entry was durable when it was acked. Thread-safe.
 */
public final class ControlledHistoryStore implements HistoryStore {
  private final InMemoryHistoryStore delegate;
  private final ExecutorService completer = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "controlled-history");
    t.setDaemon(true);
    return t;
  });
  private volatile boolean failing;
  private final AtomicInteger appends = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private volatile CountDownLatch roomRecords = new CountDownLatch(0);
  private final AtomicInteger blockedRoomRecords = new AtomicInteger();

  /** A store with its own, empty data. */
  public ControlledHistoryStore() {
    this(InMemoryHistoryStore.create());
  }

  /**
   * A store over {@code data}, which outlives it: a node restarted with a new store over the old
   * one's data restores its rooms, as with a database.
   */
  public ControlledHistoryStore(InMemoryHistoryStore data) {
    this.delegate = data;
  }

  /** From now on {@link #saveRoom} and {@link #deleteRoom} block until {@link #releaseRoomRecords}. */
  public void blockRoomRecords() {
    roomRecords = new CountDownLatch(1);
  }

  /** Lets blocked and later room-record calls through. */
  public void releaseRoomRecords() {
    roomRecords.countDown();
  }

  /** Room-record calls blocked right now. */
  public int blockedRoomRecordCalls() {
    return blockedRoomRecords.get();
  }

  private void awaitRoomRecords() {
    CountDownLatch gate = roomRecords;
    blockedRoomRecords.incrementAndGet();
    try {
      if (!gate.await(60, TimeUnit.SECONDS)) {
        throw new ChatException(ErrorCode.UNAVAILABLE, "room record blocked for 60 s (test never released it)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ChatException(ErrorCode.UNAVAILABLE, "interrupted while blocked");
    } finally {
      blockedRoomRecords.decrementAndGet();
    }
  }

  /** From now on appends fail with UNAVAILABLE (and store nothing) until {@code false}. */
  public void failing(boolean fail) {
    this.failing = fail;
  }

  /** Appends that failed so far. */
  public int failedAppends() {
    return failed.get();
  }

  /** Appends so far. */
  public int appends() {
    return appends.get();
  }

  /** Whether {@code room}'s entry {@code seq} is stored. */
  public boolean isStored(String room, long seq) {
    return delegate.readAfter(room, seq - 1, 1).stream().anyMatch(e -> e.seq() == seq);
  }

  @Override
  public void saveRoom(String room, NodeId admin, long epoch) {
    awaitRoomRecords();
    delegate.saveRoom(room, admin, epoch);
  }

  @Override
  public List<StoredRoom> rooms(NodeId admin) {
    return delegate.rooms(admin);
  }

  @Override
  public void deleteRoom(String room) {
    awaitRoomRecords();
    delegate.deleteRoom(room);
  }

  @Override
  public CompletableFuture<Void> append(List<HistoryEntry> entries) {
    appends.incrementAndGet();
    CompletableFuture<Void> f = new CompletableFuture<>();
    completer.execute(() -> {
      if (failing) {
        failed.incrementAndGet();
        f.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE, "injected store failure"));
        return;
      }
      delegate.append(entries).whenComplete((v, e) -> {
        if (e != null) {
          f.completeExceptionally(e);
        } else {
          f.complete(null);
        }
      });
    });
    return f;
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

  /** Stops the completer; the data stays readable (unlike the in-memory store's close). */
  @Override
  public void close() {
    completer.shutdown();
  }
}
