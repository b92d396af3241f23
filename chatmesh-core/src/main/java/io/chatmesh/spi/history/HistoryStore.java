package io.chatmesh.spi.history;

import io.chatmesh.NodeId;
import io.chatmesh.wire.Sequenced;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Stores rooms' logs. Written by each room's administrator (in seq order per room, possibly in
 * batches), read by any node that serves history. Implementations are thread-safe; appends for one
 * room are never issued concurrently by chatmesh.
 *
 * <p>Errors: methods throw (or complete exceptionally with) {@link io.chatmesh.ChatException}
 * {@link io.chatmesh.ErrorCode#UNAVAILABLE} when the backing store cannot be reached.
 */
public interface HistoryStore extends AutoCloseable {

  /** Records that {@code admin} administers {@code room} at {@code epoch} (idempotent). */
  void saveRoom(String room, NodeId admin, long epoch);

  /** Rooms recorded for {@code admin}, to restore them after a restart. */
  List<StoredRoom> rooms(NodeId admin);

  /** Forgets a deleted room and its log. */
  void deleteRoom(String room);

  /**
   * Appends entries (ascending seq, any number of rooms). The future completes when they are
   * durable as far as this store promises (in memory: at once). Appending an entry whose {@code
   * (room, epoch, seq)} is already stored is a no-op, so retries are safe.
   */
  CompletableFuture<Void> append(List<Sequenced> entries);

  /** Up to {@code limit} entries of {@code room} with seq greater than {@code afterSeq}, ascending. */
  List<Sequenced> readAfter(String room, long afterSeq, int limit);

  /** Up to {@code limit} entries of {@code room} with seq less than {@code beforeSeq}, ascending. */
  List<Sequenced> readBefore(String room, long beforeSeq, int limit);

  /** The newest stored entry's position, or empty for a room with no stored entries. */
  Optional<Position> lastPosition(String room);

  /** The oldest seq still stored for {@code room} (0 if none); older entries were trimmed. */
  long oldestSeq(String room);

  /** Releases resources; idempotent. */
  @Override
  void close();

  /** A room as recorded. */
  record StoredRoom(String room, NodeId admin, long epoch) {}

  /** A place in a room's log. */
  record Position(long epoch, long seq) {}
}
