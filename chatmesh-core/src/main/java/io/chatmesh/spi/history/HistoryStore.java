package io.chatmesh.spi.history;

import io.chatmesh.NodeId;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Stores rooms' logs. Written by each room's administrator (in seq order per room, possibly in
 * batches), read by any node that serves history. Implementations are thread-safe; appends for one
 * room are never issued concurrently by chatmesh.
 *
 * <p>Positions: within a room, {@code seq} names one entry (chatmesh never assigns a seq twice in a
 * room, also not across epochs: a new epoch continues after {@link #lastPosition}); {@code (room,
 * epoch, seq)} is an entry's key. Appending an entry whose key is already stored is a no-op, so
 * retries are safe. Appending an entry at a seq that is already stored with <em>another</em> epoch
 * keeps the stored entry (first writer wins) and completes that append's future exceptionally with
 * {@link io.chatmesh.ErrorCode#NOT_ADMIN}, so a fenced, stale admin never acks a message that is
 * not in the log; the call's other entries are stored as usual.
 *
 * <p>Durability: the future returned by {@link #append} completes when the entries are durable as
 * far as the store promises (see each implementation); the admin acks a sender only after it
 * completed. Futures may be completed on a thread owned by the store: dependent actions must not
 * block (hop to your own executor).
 *
 * <p>Errors: methods throw (or complete exceptionally with) {@link io.chatmesh.ChatException}
 * {@link io.chatmesh.ErrorCode#UNAVAILABLE} when the backing store cannot be reached or the store
 * is closed, and {@link io.chatmesh.ErrorCode#BAD_REQUEST} for invalid arguments (null, a limit
 * below 1, a seq below 1, a negative epoch, one call's entries of a room not in ascending seq).
 */
public interface HistoryStore extends AutoCloseable {

  /**
   * Records that {@code admin} administers {@code room} at {@code epoch} (idempotent). A call with
   * an epoch older than the one recorded is ignored, so a stale admin cannot take a room back.
   *
   * @param room the room name
   * @param admin its administrator
   * @param epoch the admin's epoch, not negative
   */
  void saveRoom(String room, NodeId admin, long epoch);

  /**
   * Rooms recorded for {@code admin}, sorted by name, to restore them after a restart.
   *
   * @param admin the node id
   * @return the rooms, sorted by name
   */
  List<StoredRoom> rooms(NodeId admin);

  /**
   * Forgets a deleted room and its log.
   *
   * @param room the room name
   */
  void deleteRoom(String room);

  /**
   * Appends entries (ascending seq per room, any number of rooms). The future completes when they
   * are durable as far as this store promises (in memory: at once). Appending an entry whose {@code
   * (room, epoch, seq)} is already stored is a no-op, so retries are safe.
   *
   * @param entries the entries, each room's in ascending seq
   * @return completes when the entries are durable; fails with NOT_ADMIN for an entry at a seq
   *     another epoch holds
   */
  CompletableFuture<Void> append(List<HistoryEntry> entries);

  /**
   * Up to {@code limit} entries of {@code room} with seq greater than {@code afterSeq}, ascending.
   *
   * @param room the room name
   * @param afterSeq return entries with a greater seq (0 for the oldest)
   * @param limit the most entries to return, at least 1
   * @return the entries, ascending by seq
   */
  List<HistoryEntry> readAfter(String room, long afterSeq, int limit);

  /**
   * Up to {@code limit} entries of {@code room} with seq less than {@code beforeSeq}, ascending:
   * the newest {@code limit} entries before {@code beforeSeq}, so pages go backwards.
   *
   * @param room the room name
   * @param beforeSeq return entries with a smaller seq ({@code Long.MAX_VALUE} for the newest)
   * @param limit the most entries to return, at least 1
   * @return the entries, ascending by seq
   */
  List<HistoryEntry> readBefore(String room, long beforeSeq, int limit);

  /**
   * The newest stored entry's position, or empty for a room with no stored entries.
   *
   * @param room the room name
   * @return the newest entry's epoch and seq, or empty
   */
  Optional<Position> lastPosition(String room);

  /**
   * The oldest seq still stored for {@code room} (0 if none); older entries were trimmed.
   *
   * @param room the room name
   * @return the oldest stored seq, or 0
   */
  long oldestSeq(String room);

  /**
   * Removes the entries of {@code room} with a seq greater than {@code seq} (none: a no-op). Used
   * with {@link io.chatmesh.Failover} by a replica whose log has entries a failed admin never got
   * acknowledged, before it takes the new admin's entries at those seqs (as Kafka truncates a
   * follower to the leader epoch's end). Stores that cannot truncate throw {@link
   * io.chatmesh.ErrorCode#UNAVAILABLE}; failover with replication then does not work with them.
   *
   * @param room the room name
   * @param seq the last seq to keep, not negative
   */
  default void truncateAfter(String room, long seq) {
    throw new io.chatmesh.ChatException(io.chatmesh.ErrorCode.UNAVAILABLE,
        getClass().getSimpleName() + " cannot truncate a room's log; it cannot be a replica's store under failover");
  }

  /**
   * Whether every node of the cluster uses this same store (one database): then, with {@link
   * io.chatmesh.Failover}, an entry is acknowledged once the store committed it, without replicating
   * it, and a node taking a room over reads its log from the store. The store must then refuse
   * appends of an epoch older than the room's recorded one ({@link #saveRoom}) in the same
   * transaction. Default false.
   *
   * @return true if shared by all nodes
   */
  default boolean shared() {
    return false;
  }

  /** Releases resources; idempotent. */
  @Override
  void close();

  /** A room as recorded. */
  record StoredRoom(String room, NodeId admin, long epoch) {}

  /** A place in a room's log. */
  record Position(long epoch, long seq) {}
}
