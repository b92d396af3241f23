package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.Sequenced;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin's durability pipeline of one room: every sequenced entry is appended to the history
 * store right away; it is released - broadcast to the member nodes and its requester answered -
 * only once the append's future has completed, so every acknowledged entry is in the store.
 * Appends are pipelined: the lane keeps sequencing while earlier appends are outstanding, and
 * completions are applied strictly in seq order from a FIFO of pending entries. When the store
 * completes at once (the in-memory store) and nothing is pending, the entry is released
 * synchronously, without a lane hop.
 *
 * <p>A failed append never skips its seq: the entry stays at its place, its requester gets
 * UNAVAILABLE (a retry with the same client message id is answered through {@link #whenDurable}
 * once the entry is durable), {@link #refusal} refuses new requests while the store fails, and the
 * failed entries are appended again with backoff until the store takes them. A store that refuses
 * an entry with NOT_ADMIN (the seq belongs to another epoch) fences the room: every pending
 * request fails and {@link #fenced} says why.
 *
 * <p>With replication ({@link Replication}) an entry is released only once it is also held by a
 * majority of the room's replicas ({@link Room#replicatedUpTo()}). Not thread-safe: used on the room's lane, except the store's completions, which only queue a
 * drain on the lane.
 */
final class AppendPipeline {
  private static final Logger log = LoggerFactory.getLogger(AppendPipeline.class);

  /** What the pipeline needs from its room. */
  interface Room {
    /** The room's name (for messages and logs). */
    String name();

    /** This node (for the logs). */
    NodeId self();

    /** Appends {@code entries} to the history store; may throw instead of failing the future. */
    CompletableFuture<Void> store(List<Sequenced> entries);

    /** Broadcasts a released entry to {@code recipients} plus {@code extra}. */
    void release(Sequenced e, Collection<NodeId> recipients, @Nullable NodeId extra);

    /** Whether failed appends are still worth retrying (still the admin, room alive, node running). */
    boolean retrying();

    /** Runs {@code task} on the room's lane. */
    void onLane(Runnable task);

    /** Runs {@code task} on the room's lane after {@code delay}. */
    void later(Duration delay, Runnable task);

    /**
     * The highest seq a majority of the room's replicas holds ({@link Replication}); an entry is
     * released only once it is at most this. Unbounded without replication.
     */
    default long replicatedUpTo() {
      return Long.MAX_VALUE;
    }
  }

  private final Room room;
  private final NodeMetrics metrics;
  /** Highest seq released (durable, broadcast, answered); entries above it are in {@link #pending}. */
  private long released;
  /** Sequenced but not yet durable entries, ascending and contiguous from {@code released + 1}. */
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private final AtomicBoolean drainQueued = new AtomicBoolean();
  /** Completes once the store writes queued before this room's creation, then its first appends, are done. */
  private CompletableFuture<Void> storeTail = CompletableFuture.completedFuture(null);
  private boolean storeFailing;
  private boolean retryScheduled;
  private int retryAttempt;
  private @Nullable String fenced;

  AppendPipeline(Room room, NodeMetrics metrics) {
    this.room = room;
    this.metrics = metrics;
  }

  /** The highest released seq. */
  long released() {
    return released;
  }

  /** The highest sequenced seq (released or pending). */
  long last() {
    return released + pending.size();
  }

  /** Continues a restored log: everything up to {@code lastSeq} is durable. */
  void restoredAt(long lastSeq) {
    released = lastSeq;
  }

  /** The first appends wait for {@code earlierWrites} (the store writes queued before the room's creation). */
  void appendAfter(CompletableFuture<Void> earlierWrites) {
    storeTail = earlierWrites;
  }

  /** Why the room is fenced here (the store refused one of its seqs with NOT_ADMIN), or null. */
  @Nullable String fenced() {
    return fenced;
  }

  /** UNAVAILABLE while the room is fenced or its history store fails; else null. */
  @Nullable Reply refusal(long requestId) {
    if (fenced != null) {
      return Reply.error(requestId, ErrorCode.UNAVAILABLE, fenced);
    }
    if (storeFailing) {
      return Reply.error(requestId, ErrorCode.UNAVAILABLE, "the history store of room '" + room.name() + "' is failing; try again later");
    }
    return null;
  }

  /**
   * Appends a just sequenced entry to the history store; broadcasts it (to {@code memberNodes} as
   * of now, plus {@code extra}) and answers {@code reply} with {@code ok} once it is durable. Fast
   * path: a store that completed at once with nothing pending releases the entry right here.
   */
  void persist(Sequenced e, Collection<NodeId> memberNodes, @Nullable NodeId extra, @Nullable Consumer<Reply> reply, @Nullable Reply ok) {
    long started = System.nanoTime();
    CompletableFuture<Void> f = append(List.of(e));
    if (pending.isEmpty() && f.isDone() && !f.isCompletedExceptionally() && e.seq() <= room.replicatedUpTo()) {
      long appended = System.nanoTime() - started;
      metrics.historyAppended(1, appended);
      metrics.sequenced(appended);
      released = e.seq();
      room.release(e, memberNodes, extra);
      if (reply != null) {
        reply.accept(ok);
      }
      return;
    }
    List<NodeId> to = new ArrayList<>(memberNodes);
    if (extra != null && !to.contains(extra)) {
      to.add(extra);
    }
    Pending p = new Pending(e, to, reply, ok, f);
    pending.addLast(p);
    metrics.historyBacklog.increment();
    watch(f, started, 1);
  }

  /** More entries are held by a majority of the replicas: releases those that are durable here too. */
  void replicationAdvanced() {
    drain();
  }

  /** Answers {@code reply} with {@code ok} once {@code seq} is durable (a retry of a pending entry). */
  void whenDurable(long seq, Consumer<Reply> reply, Reply ok) {
    if (seq <= released) {
      reply.accept(ok);
      return;
    }
    for (Pending p : pending) {
      if (p.entry.seq() == seq) {
        p.addWaiter(reply, ok);
        return;
      }
    }
    reply.accept(Reply.error(ok.requestId(), ErrorCode.UNAVAILABLE, "seq " + seq + " of room '" + room.name() + "' is not durable"));
  }

  /** Fails every request waiting for a pending entry with {@code code} and drops the pending entries. */
  void failAll(ErrorCode code, String why) {
    for (Pending p : pending) {
      failWaiters(p, code, why);
    }
    pending.clear();
  }

  private CompletableFuture<Void> append(List<Sequenced> entries) {
    if (!storeTail.isDone()) {
      // just created: appends follow the room's store writes, in order, one after the other
      storeTail = storeTail.handle((v, e) -> (Void) null).thenCompose(v -> storeAppend(entries));
      return storeTail;
    }
    return storeAppend(entries);
  }

  private CompletableFuture<Void> storeAppend(List<Sequenced> entries) {
    try {
      return room.store(entries);
    } catch (RuntimeException ex) {
      return CompletableFuture.failedFuture(ex);
    }
  }

  private void watch(CompletableFuture<Void> f, long started, int entries) {
    f.whenComplete((v, ex) -> {
      if (ex == null) {
        metrics.historyAppended(entries, System.nanoTime() - started);
      }
      if (drainQueued.compareAndSet(false, true)) {
        room.onLane(() -> {
          drainQueued.set(false);
          drain();
        });
      }
    });
  }

  /** Releases durable entries from the head of {@link #pending}, in seq order. */
  private void drain() {
    while (!pending.isEmpty()) {
      Pending p = pending.peekFirst();
      if (!p.future.isDone()) {
        return;
      }
      if (p.future.isCompletedExceptionally()) {
        onAppendFailed(p);
        return;
      }
      if (p.entry.seq() > room.replicatedUpTo()) {
        return; // durable here, not yet on a majority of the replicas
      }
      pending.pollFirst();
      metrics.historyBacklog.decrement();
      metrics.sequenced(System.nanoTime() - p.sequencedAt);
      if (storeFailing) {
        metrics.roomsStoreFailing.decrement();
        storeFailing = false;
        retryAttempt = 0;
        log.info("{}: history store accepts appends for room '{}' again (seq {})", room.self(), room.name(), p.entry.seq());
      }
      released = p.entry.seq();
      room.release(p.entry, p.recipients, null);
      if (p.reply != null) {
        p.reply.accept(p.ok);
      }
      if (p.waiters != null) {
        for (Waiter w : p.waiters) {
          w.reply.accept(w.ok);
        }
      }
    }
  }

  private void onAppendFailed(Pending head) {
    ChatException error = ChatException.from(head.future.handle((v, ex) -> ex).join());
    if (error.code() == ErrorCode.NOT_ADMIN) {
      fenced = "room '" + room.name() + "' is fenced on node " + room.self() + ": the history store refused seq " + head.entry.seq() + ": " + error.getMessage();
      log.error("{}", fenced);
      for (Pending p : pending) {
        failWaiters(p, ErrorCode.UNAVAILABLE, fenced);
      }
      metrics.historyBacklog.add(-pending.size());
      pending.clear();
      return;
    }
    if (!storeFailing) {
      metrics.roomsStoreFailing.increment();
      log.warn("{}: history store failed to append room '{}' seq {}; refusing writes and retrying: {}", room.self(), room.name(), head.entry.seq(), error.getMessage());
    }
    storeFailing = true;
    String why = "history store of room '" + room.name() + "' failed (" + error.getMessage() + "); seq " + head.entry.seq()
        + " keeps its place and is retried: retry with the same client message id";
    for (Pending p : pending) {
      if (p.future.isCompletedExceptionally()) {
        failWaiters(p, ErrorCode.UNAVAILABLE, why);
      }
    }
    if (!retryScheduled) {
      retryScheduled = true;
      long delay = Math.min(2000, 50L << Math.min(6, retryAttempt++));
      room.later(Duration.ofMillis(delay), this::retryAppend);
    }
  }

  private void retryAppend() {
    retryScheduled = false;
    if (!room.retrying()) {
      return;
    }
    List<Pending> again = new ArrayList<>();
    for (Pending p : pending) {
      if (p.future.isCompletedExceptionally()) {
        again.add(p);
      }
    }
    if (again.isEmpty()) {
      drain();
      return;
    }
    List<Sequenced> entries = new ArrayList<>(again.size());
    again.forEach(p -> entries.add(p.entry));
    long started = System.nanoTime();
    CompletableFuture<Void> f = append(entries);
    again.forEach(p -> p.future = f);
    watch(f, started, entries.size());
  }

  private static void failWaiters(Pending p, ErrorCode code, String why) {
    if (p.reply != null && p.ok != null) {
      p.reply.accept(Reply.error(p.ok.requestId(), code, why));
    }
    p.reply = null;
    if (p.waiters != null) {
      p.failWaiting(code, why);
    }
  }

  /** A sequenced entry waiting for its append to complete. */
  private static final class Pending {
    final Sequenced entry;
    final List<NodeId> recipients;
    @Nullable Consumer<Reply> reply;
    final @Nullable Reply ok;
    CompletableFuture<Void> future;
    /** Retries of this entry (same client message id, or a repeated join) answered when it is durable. */
    @Nullable List<Waiter> waiters;
    /** When it was sequenced ({@link System#nanoTime()}), for the sequencing latency. */
    final long sequencedAt = System.nanoTime();

    Pending(Sequenced entry, List<NodeId> recipients, @Nullable Consumer<Reply> reply, @Nullable Reply ok, CompletableFuture<Void> future) {
      this.entry = entry;
      this.recipients = recipients;
      this.reply = reply;
      this.ok = ok;
      this.future = future;
    }

    void addWaiter(Consumer<Reply> r, Reply okReply) {
      if (waiters == null) {
        waiters = new ArrayList<>();
      }
      waiters.add(new Waiter(r, okReply));
    }

    void failWaiting(ErrorCode code, String why) {
      if (waiters != null) {
        for (Waiter w : waiters) {
          w.reply.accept(Reply.error(w.ok.requestId(), code, why));
        }
      }
      waiters = null;
    }
  }

  private record Waiter(Consumer<Reply> reply, Reply ok) {}
}
