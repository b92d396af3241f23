package io.chatmesh.history.jdbc;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.spi.history.HistoryEntry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: {@link #submit} only enqueues; one writer thread takes whatever is queued (up to
 * {@code batchSize} entries, waiting at most {@code maxBatchDelay} for more) and writes it in one
 * transaction, then completes each submission's future. So a room's lane never waits for a
 * database round trip per message, and under load many messages share one commit. Submissions are
 * written in the order they were submitted. In a shared store the transaction first locks the
 * batch's rooms' rows and leaves out entries of a stale epoch ({@link RoomFence}); a call with a
 * refused entry fails with NOT_ADMIN while the rest of the batch, its other entries included, is
 * stored. Thread-safe.
 */
final class GroupCommitWriter {
  private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);

  private record Pending(List<HistoryEntry> entries, CompletableFuture<Void> future) {}

  private static final Pending STOP = new Pending(List.of(), new CompletableFuture<>());

  private final Db db;
  private final boolean shared;
  private final int batchSize;
  private final long maxBatchDelayNanos;
  private final int maxPendingEntries;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Object submitLock = new Object();
  private final Thread thread;
  private int pendingEntries; // guarded by submitLock
  private boolean closing; // guarded by submitLock

  final AtomicLong transactions = new AtomicLong();
  final AtomicLong entriesWritten = new AtomicLong();
  final AtomicLong failedBatches = new AtomicLong();

  GroupCommitWriter(Db db, boolean shared, int batchSize, Duration maxBatchDelay, int maxPendingEntries, String name) {
    this.db = db;
    this.shared = shared;
    this.batchSize = batchSize;
    this.maxBatchDelayNanos = maxBatchDelay.toNanos();
    this.maxPendingEntries = maxPendingEntries;
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  CompletableFuture<Void> submit(List<HistoryEntry> entries) {
    if (entries.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    Pending p = new Pending(entries, new CompletableFuture<>());
    synchronized (submitLock) {
      if (closing) {
        return CompletableFuture.failedFuture(new ChatException(ErrorCode.UNAVAILABLE, "history store is closed"));
      }
      if (pendingEntries > 0 && pendingEntries + entries.size() > maxPendingEntries) {
        return CompletableFuture.failedFuture(
            new ChatException(
                ErrorCode.UNAVAILABLE,
                "history writer backlog is full (" + pendingEntries + " entries waiting, limit " + maxPendingEntries
                    + "): the database does not keep up"));
      }
      pendingEntries += entries.size();
      queue.add(p);
    }
    return p.future;
  }

  /**
   * Stops accepting, writes what is queued, and waits up to {@code timeout} for that; whatever is
   * still unwritten then fails with UNAVAILABLE.
   */
  void close(Duration timeout) {
    synchronized (submitLock) {
      if (closing) {
        return;
      }
      closing = true;
      queue.add(STOP);
    }
    try {
      thread.join(Math.max(1, timeout.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      log.warn("history writer did not finish within {}; failing what is left", timeout);
      thread.interrupt();
      try {
        thread.join(1_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Pending p;
    while ((p = queue.poll()) != null) {
      p.future.completeExceptionally(
          new ChatException(ErrorCode.UNAVAILABLE, "history store closed before the entries were written"));
    }
  }

  private void run() {
    try {
      while (true) {
        Pending first = queue.take();
        if (first == STOP) {
          return;
        }
        List<Pending> batch = new ArrayList<>();
        batch.add(first);
        int entries = first.entries.size();
        boolean stop = false;
        long deadline = System.nanoTime() + maxBatchDelayNanos;
        while (entries < batchSize) {
          Pending next = queue.poll();
          if (next == null && maxBatchDelayNanos > 0) {
            long wait = deadline - System.nanoTime();
            if (wait > 0) {
              next = queue.poll(wait, TimeUnit.NANOSECONDS);
            }
          }
          if (next == null) {
            break;
          }
          if (next == STOP) {
            stop = true;
            break;
          }
          batch.add(next);
          entries += next.entries.size();
        }
        write(batch, entries);
        if (stop) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void write(List<Pending> batch, int size) {
    List<HistoryEntry> all = new ArrayList<>(size);
    for (Pending p : batch) {
      all.addAll(p.entries);
    }
    Map<Integer, String> conflicts;
    try {
      conflicts = db.inTransaction("storing " + all.size() + " history entries", c -> insert(c, all));
      transactions.incrementAndGet();
      entriesWritten.addAndGet(all.size());
    } catch (RuntimeException e) {
      failedBatches.incrementAndGet();
      log.warn("could not store {} history entries: {}", all.size(), e.getMessage());
      ChatException failure =
          e instanceof ChatException ce ? ce : new ChatException(ErrorCode.INTERNAL, "storing history failed: " + e, e);
      release(batch, size);
      for (Pending p : batch) {
        p.future.completeExceptionally(failure);
      }
      return;
    }
    release(batch, size);
    int index = 0;
    for (Pending p : batch) {
      List<String> mine = new ArrayList<>();
      for (int i = 0; i < p.entries.size(); i++, index++) {
        String conflict = conflicts.get(index);
        if (conflict != null) {
          mine.add(conflict);
        }
      }
      if (mine.isEmpty()) {
        p.future.complete(null);
      } else {
        p.future.completeExceptionally(new ChatException(ErrorCode.NOT_ADMIN, summary(mine)));
      }
    }
  }

  /** The first few refusals of a call, and how many more there were (a fenced call may have thousands). */
  private static String summary(List<String> refusals) {
    int shown = Math.min(3, refusals.size());
    String text = String.join("; ", refusals.subList(0, shown));
    return shown == refusals.size() ? text : text + "; and " + (refusals.size() - shown) + " more entries of this call";
  }

  private void release(List<Pending> batch, int size) {
    synchronized (submitLock) {
      pendingEntries -= size;
    }
  }

  /**
   * Inserts the entries; returns, by index, those refused: at a seq another epoch holds, or (shared
   * store) of an epoch older than their room's recorded one. A refused entry whose very key is
   * already stored is a retry and not refused (no-op).
   */
  private Map<Integer, String> insert(Connection c, List<HistoryEntry> all) throws SQLException {
    Map<String, RoomFence.Recorded> recorded =
        shared ? RoomFence.lock(db, c, all.stream().map(HistoryEntry::room).toList()) : Map.of();
    List<Integer> toInsert = new ArrayList<>(all.size());
    Map<Integer, String> fenced = new HashMap<>();
    for (int i = 0; i < all.size(); i++) {
      HistoryEntry e = all.get(i);
      String refusal = shared ? RoomFence.refusal(e, recorded.get(e.room())) : null;
      if (refusal == null) {
        toInsert.add(i);
      } else {
        fenced.put(i, refusal);
      }
    }
    Map<Integer, String> conflicts = new HashMap<>();
    int[] counts = toInsert.isEmpty() ? new int[0] : insertBatch(c, all, toInsert);
    for (int k = 0; k < counts.length; k++) {
      if (counts[k] != 0) { // inserted, or SUCCESS_NO_INFO
        continue;
      }
      // not inserted: a retry (same epoch, fine) or a seq taken by another epoch (refused)
      HistoryEntry e = all.get(toInsert.get(k));
      long stored = storedEpoch(c, e);
      if (stored >= 0 && stored != e.epoch()) {
        conflicts.put(
            toInsert.get(k),
            "room '" + e.room() + "' seq " + e.seq() + " is already stored with epoch " + stored
                + "; refused the entry of epoch " + e.epoch());
      }
    }
    for (Map.Entry<Integer, String> f : fenced.entrySet()) {
      HistoryEntry e = all.get(f.getKey());
      if (storedEpoch(c, e) != e.epoch()) { // stored before the newer epoch was recorded: a retry, no-op
        conflicts.put(f.getKey(), f.getValue());
      }
    }
    return conflicts;
  }

  private int[] insertBatch(Connection c, List<HistoryEntry> all, List<Integer> indexes) throws SQLException {
    try (PreparedStatement ps = db.prepare(c, Sql.INSERT_EVENT)) {
      for (int i : indexes) {
        HistoryEntry e = all.get(i);
        ps.setString(1, e.room());
        ps.setLong(2, e.epoch());
        ps.setLong(3, e.seq());
        ps.setString(4, KindColumn.toColumn(e.kind()));
        ps.setString(5, e.user().value());
        ps.setString(6, e.text());
        if (e.clientMessageId() == null) {
          ps.setNull(7, Types.VARCHAR);
        } else {
          ps.setString(7, e.clientMessageId());
        }
        ps.setLong(8, e.timestamp());
        ps.addBatch();
      }
      return ps.executeBatch();
    }
  }

  /** The epoch stored at {@code e}'s room and seq, or -1 if none is. */
  private long storedEpoch(Connection c, HistoryEntry e) throws SQLException {
    try (PreparedStatement ps = db.prepare(c, Sql.SELECT_EPOCH_AT)) {
      ps.setString(1, e.room());
      ps.setLong(2, e.seq());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : -1;
      }
    }
  }
}
