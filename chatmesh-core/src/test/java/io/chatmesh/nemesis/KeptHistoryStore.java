package io.chatmesh.nemesis;

import io.chatmesh.NodeId;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.time.ChatClock;
import io.chatmesh.spi.history.HistoryEntry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One node's history as the nemesis sees it: it outlives the node's processes (a restarted node
 * finds its rooms), and it can be made slow: appends then complete, and become readable, only
 * after a delay on the shared clock, like a held group commit. Each process of the node gets the
 * store {@link Histories#open} gives it ({@link #start}); a per-process store (JDBC) is closed with
 * the process, one that outlives processes (in-memory) is not. Thread-safe.
 */
final class KeptHistoryStore implements HistoryStore {
  private final ChatClock clock;
  private final String node;
  private final Histories histories;
  /** The store of the current process; null before the first {@link #start}. */
  private volatile @Nullable HistoryStore current;
  private volatile Duration slow = Duration.ZERO;
  /** Told of every batch once stored (the nemesis records membership entries: {@link History#stored}). */
  private volatile Consumer<List<HistoryEntry>> appended = entries -> {};

  KeptHistoryStore(ChatClock clock, String node, Histories histories) {
    this.clock = clock;
    this.node = node;
    this.histories = histories;
  }

  /** One in-memory store kept across restarts (for tests that need no other history). */
  KeptHistoryStore(ChatClock clock) {
    this(clock, "n", Histories.memory().create(0));
    start();
  }

  /** A process of the node starts: it gets the store (a per-process one is opened again). */
  KeptHistoryStore start() {
    if (current == null || histories.perProcess()) {
      current = histories.open(node);
    }
    return this;
  }

  private HistoryStore delegate() {
    HistoryStore d = current;
    if (d == null) {
      throw new IllegalStateException("the history of " + node + " was used before its node started");
    }
    return d;
  }

  /** The node lost its disk: its next process starts with an empty in-memory store. */
  void fresh() {
    current = io.chatmesh.history.InMemoryHistoryStore.create();
  }

  /** {@code sink} is told of every batch this store took, once stored. */
  KeptHistoryStore onAppended(Consumer<List<HistoryEntry>> sink) {
    this.appended = sink;
    return this;
  }

  /** From now on appends complete after {@code delay} ({@link Duration#ZERO}: at once). */
  void slow(Duration delay) {
    this.slow = delay;
  }

  @Override
  public void saveRoom(String room, NodeId admin, long epoch) {
    delegate().saveRoom(room, admin, epoch);
  }

  @Override
  public List<StoredRoom> rooms(NodeId admin) {
    return delegate().rooms(admin);
  }

  @Override
  public void deleteRoom(String room) {
    delegate().deleteRoom(room);
  }

  @Override
  public CompletableFuture<Void> append(List<HistoryEntry> entries) {
    Consumer<List<HistoryEntry>> sink = appended;
    return slowAppend(entries).thenRun(() -> sink.accept(entries));
  }

  private CompletableFuture<Void> slowAppend(List<HistoryEntry> entries) {
    Duration d = slow;
    if (d.isZero()) {
      return delegate().append(entries);
    }
    CompletableFuture<Void> out = new CompletableFuture<>();
    clock.schedule(d, () -> delegate().append(entries).whenComplete((v, e) -> {
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
    return delegate().readAfter(room, afterSeq, limit);
  }

  @Override
  public List<HistoryEntry> readBefore(String room, long beforeSeq, int limit) {
    return delegate().readBefore(room, beforeSeq, limit);
  }

  @Override
  public Optional<Position> lastPosition(String room) {
    return delegate().lastPosition(room);
  }

  @Override
  public long oldestSeq(String room) {
    return delegate().oldestSeq(room);
  }

  @Override
  public void truncateAfter(String room, long seq) {
    delegate().truncateAfter(room, seq);
  }

  @Override
  public boolean shared() {
    return delegate().shared();
  }

  /** The process ends: a per-process store is closed (the data stays for the next process). */
  @Override
  public void close() {
    if (histories.perProcess()) {
      delegate().close();
    }
  }
}
