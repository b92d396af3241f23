package io.chatmesh.history;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.spi.history.HistoryEntry;
import io.chatmesh.spi.history.HistoryStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The default {@link HistoryStore}: keeps the newest {@code maxEntriesPerRoom} entries of each room
 * in memory, so a node without a database still serves recent history. When a room holds more, the
 * oldest entries are trimmed and {@link #oldestSeq} moves forward, so callers can tell a client
 * honestly that older history is gone.
 *
 * <p>Durability: none beyond the process; {@link #append} completes its future before it returns.
 * Nothing survives a restart ({@link #rooms} of a new instance is empty).
 *
 * <p>Thread-safe: each room's log is guarded by its own lock, so rooms never wait for each other.
 * Errors: {@link ChatException} {@link ErrorCode#BAD_REQUEST} for invalid arguments, {@link
 * ErrorCode#UNAVAILABLE} after {@link #close()}, {@link ErrorCode#NOT_ADMIN} (in the future) for an
 * entry whose seq is already stored with another epoch (see {@link HistoryStore}).
 */
public final class InMemoryHistoryStore implements HistoryStore {
  /** Entries kept per room by {@link #create()}. */
  public static final int DEFAULT_MAX_ENTRIES_PER_ROOM = 10_000;

  private final int maxEntriesPerRoom;
  private final ConcurrentHashMap<String, RoomLog> logs = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, StoredRoom> rooms = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private InMemoryHistoryStore(int maxEntriesPerRoom) {
    this.maxEntriesPerRoom = maxEntriesPerRoom;
  }

  /**
   * A store keeping {@value #DEFAULT_MAX_ENTRIES_PER_ROOM} entries per room.
   *
   * @return a new, empty store
   */
  public static InMemoryHistoryStore create() {
    return new InMemoryHistoryStore(DEFAULT_MAX_ENTRIES_PER_ROOM);
  }

  /**
   * A store keeping the newest {@code maxEntriesPerRoom} entries of each room.
   *
   * @throws ChatException BAD_REQUEST if {@code maxEntriesPerRoom} is below 1
   * @param maxEntriesPerRoom how many entries each room keeps, at least 1
   * @return a new, empty store
   */
  public static InMemoryHistoryStore bounded(int maxEntriesPerRoom) {
    if (maxEntriesPerRoom < 1) {
      throw new ChatException(
          ErrorCode.BAD_REQUEST, "maxEntriesPerRoom must be at least 1, was " + maxEntriesPerRoom);
    }
    return new InMemoryHistoryStore(maxEntriesPerRoom);
  }

  /**
   * How many entries each room keeps.
   *
   * @return the per-room bound
   */
  public int maxEntriesPerRoom() {
    return maxEntriesPerRoom;
  }

  @Override
  public void truncateAfter(String room, long seq) {
    HistoryValidation.room(room);
    if (seq < 0) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "seq must not be negative, was " + seq);
    }
    checkOpen();
    RoomLog log = logs.get(room);
    if (log != null) {
      log.truncateAfter(seq);
    }
  }

  @Override
  public void saveRoom(String room, NodeId admin, long epoch) {
    HistoryValidation.room(room);
    HistoryValidation.admin(admin);
    HistoryValidation.epoch(epoch);
    checkOpen();
    rooms.merge(
        room,
        new StoredRoom(room, admin, epoch),
        (old, now) -> now.epoch() >= old.epoch() ? now : old);
  }

  @Override
  public List<StoredRoom> rooms(NodeId admin) {
    HistoryValidation.admin(admin);
    checkOpen();
    return rooms.values().stream()
        .filter(r -> r.admin().equals(admin))
        .sorted(Comparator.comparing(StoredRoom::room))
        .toList();
  }

  @Override
  public void deleteRoom(String room) {
    HistoryValidation.room(room);
    checkOpen();
    rooms.remove(room);
    logs.remove(room);
  }

  @Override
  public CompletableFuture<Void> append(List<HistoryEntry> entries) {
    List<HistoryEntry> checked;
    try {
      checked = HistoryValidation.entries(entries);
      checkOpen();
    } catch (ChatException e) {
      return CompletableFuture.failedFuture(e);
    }
    List<String> conflicts = new ArrayList<>();
    for (HistoryEntry e : checked) {
      String conflict = logs.computeIfAbsent(e.room(), r -> new RoomLog()).add(e, maxEntriesPerRoom);
      if (conflict != null) {
        conflicts.add(conflict);
      }
    }
    if (!conflicts.isEmpty()) {
      return CompletableFuture.failedFuture(
          new ChatException(ErrorCode.NOT_ADMIN, String.join("; ", conflicts)));
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public List<HistoryEntry> readAfter(String room, long afterSeq, int limit) {
    HistoryValidation.room(room);
    HistoryValidation.limit(limit);
    checkOpen();
    RoomLog log = logs.get(room);
    return log == null ? List.of() : log.after(afterSeq, limit);
  }

  @Override
  public List<HistoryEntry> readBefore(String room, long beforeSeq, int limit) {
    HistoryValidation.room(room);
    HistoryValidation.limit(limit);
    checkOpen();
    RoomLog log = logs.get(room);
    return log == null ? List.of() : log.before(beforeSeq, limit);
  }

  @Override
  public Optional<Position> lastPosition(String room) {
    HistoryValidation.room(room);
    checkOpen();
    RoomLog log = logs.get(room);
    return log == null ? Optional.empty() : log.last();
  }

  @Override
  public long oldestSeq(String room) {
    HistoryValidation.room(room);
    checkOpen();
    RoomLog log = logs.get(room);
    return log == null ? 0 : log.oldest();
  }

  /** Drops everything; later calls fail with UNAVAILABLE. Idempotent. */
  @Override
  public void close() {
    closed = true;
    logs.clear();
    rooms.clear();
  }

  @Override
  public String toString() {
    return "InMemoryHistoryStore[maxEntriesPerRoom=" + maxEntriesPerRoom + ", rooms=" + logs.size() + "]";
  }

  private void checkOpen() {
    if (closed) {
      throw new ChatException(ErrorCode.UNAVAILABLE, "history store is closed");
    }
  }

  /**
   * One room's retained entries, ascending by seq, in a ring of references that grows by doubling
   * up to the room's bound (no map node or boxed key per entry); guarded by its own monitor.
   * Appends in seq order go to the tail; an older seq that is not stored is inserted at its place
   * (rare: only a store driven by something else than one admin does that).
   */
  private static final class RoomLog {
    private HistoryEntry[] ring = new HistoryEntry[16];
    private int head;
    private int size;

    private HistoryEntry at(int i) {
      int p = head + i;
      return ring[p >= ring.length ? p - ring.length : p];
    }

    private void set(int i, HistoryEntry e) {
      int p = head + i;
      ring[p >= ring.length ? p - ring.length : p] = e;
    }

    /** Index of the first entry with seq >= {@code seq} (size if none). */
    private int lowerBound(long seq) {
      int lo = 0;
      int hi = size;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (at(mid).seq() < seq) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo;
    }

    /** Adds the entry unless its seq is stored; returns a conflict description or null. */
    synchronized String add(HistoryEntry e, int max) {
      int k = size == 0 || at(size - 1).seq() < e.seq() ? size : lowerBound(e.seq());
      if (k < size) {
        HistoryEntry stored = at(k);
        if (stored.seq() == e.seq()) {
          return stored.epoch() == e.epoch()
              ? null
              : "room '" + e.room() + "' seq " + e.seq() + " is already stored with epoch " + stored.epoch()
                  + "; refused the entry of epoch " + e.epoch();
        }
      }
      if (size >= max) {
        if (k == 0) {
          return null; // older than everything retained in a full log: it would be trimmed at once
        }
        removeFirst();
        k--;
      }
      if (size == ring.length) {
        grow(max);
      }
      for (int i = size; i > k; i--) {
        set(i, at(i - 1));
      }
      set(k, e);
      size++;
      return null;
    }

    private void removeFirst() {
      ring[head] = null;
      head = head + 1 == ring.length ? 0 : head + 1;
      size--;
    }

    private void grow(int max) {
      HistoryEntry[] bigger = new HistoryEntry[(int) Math.max(size + 1, Math.min(max, 2L * ring.length))];
      for (int i = 0; i < size; i++) {
        bigger[i] = at(i);
      }
      ring = bigger;
      head = 0;
    }

    synchronized List<HistoryEntry> after(long afterSeq, int limit) {
      int from = size == 0 || afterSeq == Long.MAX_VALUE ? size : lowerBound(afterSeq + 1);
      int to = (int) Math.min(size, (long) from + limit);
      return copy(from, to);
    }

    synchronized List<HistoryEntry> before(long beforeSeq, int limit) {
      int to = lowerBound(beforeSeq);
      return copy(Math.max(0, to - limit), to);
    }

    private List<HistoryEntry> copy(int from, int to) {
      if (from >= to) {
        return List.of();
      }
      HistoryEntry[] out = new HistoryEntry[to - from];
      for (int i = from; i < to; i++) {
        out[i - from] = at(i);
      }
      return List.of(out);
    }

    synchronized void truncateAfter(long seq) {
      while (size > 0 && at(size - 1).seq() > seq) {
        set(size - 1, null);
        size--;
      }
    }

    synchronized Optional<Position> last() {
      if (size == 0) {
        return Optional.empty();
      }
      HistoryEntry e = at(size - 1);
      return Optional.of(new Position(e.epoch(), e.seq()));
    }

    synchronized long oldest() {
      return size == 0 ? 0 : at(0).seq();
    }
  }
}
