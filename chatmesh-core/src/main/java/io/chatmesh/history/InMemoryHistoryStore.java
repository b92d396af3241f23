package io.chatmesh.history;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.wire.Sequenced;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
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

  /** A store keeping {@value #DEFAULT_MAX_ENTRIES_PER_ROOM} entries per room. */
  public static InMemoryHistoryStore create() {
    return new InMemoryHistoryStore(DEFAULT_MAX_ENTRIES_PER_ROOM);
  }

  /**
   * A store keeping the newest {@code maxEntriesPerRoom} entries of each room.
   *
   * @throws ChatException BAD_REQUEST if {@code maxEntriesPerRoom} is below 1
   */
  public static InMemoryHistoryStore bounded(int maxEntriesPerRoom) {
    if (maxEntriesPerRoom < 1) {
      throw new ChatException(
          ErrorCode.BAD_REQUEST, "maxEntriesPerRoom must be at least 1, was " + maxEntriesPerRoom);
    }
    return new InMemoryHistoryStore(maxEntriesPerRoom);
  }

  /** How many entries each room keeps. */
  public int maxEntriesPerRoom() {
    return maxEntriesPerRoom;
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
  public CompletableFuture<Void> append(List<Sequenced> entries) {
    List<Sequenced> checked;
    try {
      checked = HistoryValidation.entries(entries);
      checkOpen();
    } catch (ChatException e) {
      return CompletableFuture.failedFuture(e);
    }
    List<String> conflicts = new ArrayList<>();
    for (Sequenced e : checked) {
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
  public List<Sequenced> readAfter(String room, long afterSeq, int limit) {
    HistoryValidation.room(room);
    HistoryValidation.limit(limit);
    checkOpen();
    RoomLog log = logs.get(room);
    return log == null ? List.of() : log.after(afterSeq, limit);
  }

  @Override
  public List<Sequenced> readBefore(String room, long beforeSeq, int limit) {
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

  /** One room's retained entries by seq; guarded by its own monitor. */
  private static final class RoomLog {
    private final NavigableMap<Long, Sequenced> entries = new TreeMap<>();

    /** Adds the entry unless its seq is stored; returns a conflict description or null. */
    synchronized String add(Sequenced e, int max) {
      Sequenced stored = entries.putIfAbsent(e.seq(), e);
      if (stored != null) {
        return stored.epoch() == e.epoch()
            ? null
            : "room '" + e.room() + "' seq " + e.seq() + " is already stored with epoch " + stored.epoch()
                + "; refused the entry of epoch " + e.epoch();
      }
      while (entries.size() > max) {
        entries.pollFirstEntry();
      }
      return null;
    }

    synchronized List<Sequenced> after(long afterSeq, int limit) {
      List<Sequenced> out = new ArrayList<>(Math.min(limit, entries.size()));
      for (Sequenced e : entries.tailMap(afterSeq, false).values()) {
        if (out.size() == limit) {
          break;
        }
        out.add(e);
      }
      return List.copyOf(out);
    }

    synchronized List<Sequenced> before(long beforeSeq, int limit) {
      List<Sequenced> out = new ArrayList<>(Math.min(limit, entries.size()));
      for (Map.Entry<Long, Sequenced> e : entries.headMap(beforeSeq, false).descendingMap().entrySet()) {
        if (out.size() == limit) {
          break;
        }
        out.add(e.getValue());
      }
      java.util.Collections.reverse(out);
      return List.copyOf(out);
    }

    synchronized Optional<Position> last() {
      Map.Entry<Long, Sequenced> e = entries.lastEntry();
      return e == null ? Optional.empty() : Optional.of(new Position(e.getValue().epoch(), e.getKey()));
    }

    synchronized long oldest() {
      return entries.isEmpty() ? 0 : entries.firstKey();
    }
  }
}
