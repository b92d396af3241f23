package io.chatmesh.sequencer;

import io.chatmesh.UserId;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * Assigns a room's sequence numbers on its administrator and remembers {@code (user, client
 * message id) -> seq} for a bounded window so a retried message gets its original number back.
 * Every sequenced entry carries {@code (epoch, seq)}; the epoch changes only on failover.
 *
 * <p>Pluggable: pass a {@link Factory} to {@code ChatNode.Builder.sequencer(...)}; the default is
 * {@link #create}. An implementation must guarantee, for the room it was created for:
 *
 * <ul>
 *   <li>{@link #epoch()} is the epoch it was created with and never changes;
 *   <li>{@link #next} returns {@code lastSeq() + 1} and then {@link #lastSeq()} is that value: the
 *       numbers are consecutive, start right after the {@code lastSeq} it was created with, and are
 *       never reused (a gap or a reused number is a lost or overwritten message);
 *   <li>{@link #lookup} returns the seq given to a {@code (user, clientMessageId)} by {@link #next}
 *       or {@link #remember} for at least the newest {@code dedupWindow} ids, and never a seq that
 *       was given to another id (a wrong hit acknowledges a message that was never sequenced).
 * </ul>
 *
 * <p>Not thread-safe: a room's sequencer is used only on that room's serial lane, so
 * implementations need no locking; they must not block (the lane serves the whole room).
 */
public interface Sequencer {

  /**
   * The default sequencer: a counter plus an exact, bounded window of recent client message ids.
   *
   * @param epoch the admin epoch, at least 1
   * @param lastSeq the last seq already in the room's log, 0 for a new room
   * @param dedupWindow how many client message ids to remember, at least 1
   * @return a new sequencer
   * @throws IllegalArgumentException if an argument is out of range
   */
  static Sequencer create(long epoch, long lastSeq, int dedupWindow) {
    return new DefaultSequencer(epoch, lastSeq, dedupWindow);
  }

  /**
   * Creates the sequencer of a room each time this node becomes its administrator (a new room, a
   * room restored after a restart). Called on the room's lane; must be thread-safe if the same
   * factory is shared by several nodes.
   */
  @FunctionalInterface
  interface Factory {
    /**
     * A sequencer for one room.
     *
     * @param epoch the admin epoch, at least 1
     * @param lastSeq the last seq already in the room's log (0 for a new room): the first {@link
     *     Sequencer#next} must return {@code lastSeq + 1}
     * @param dedupWindow how many client message ids to remember at least (the node's {@code
     *     dedupWindow} setting)
     * @return a new sequencer, not shared with any other room
     */
    Sequencer create(long epoch, long lastSeq, int dedupWindow);
  }

  /**
   * The epoch this sequencer assigns.
   *
   * @return the epoch it was created with
   */
  long epoch();

  /**
   * The last sequence number assigned.
   *
   * @return the last seq, or the {@code lastSeq} it was created with before the first {@link #next}
   */
  long lastSeq();

  /**
   * The seq already assigned to this client message, if it is still remembered.
   *
   * @param user the sender
   * @param clientMessageId the sender's deduplication id
   * @return the seq, or empty if the id was never seen or has left the window
   */
  OptionalLong lookup(UserId user, String clientMessageId);

  /**
   * Assigns the next seq. When {@code clientMessageId} is non-null it is remembered with the seq;
   * callers check {@link #lookup} first.
   *
   * @param user the sender (or the user a join, leave or failure is about)
   * @param clientMessageId the sender's deduplication id of a message, or null
   * @return {@code lastSeq() + 1}
   */
  long next(UserId user, @Nullable String clientMessageId);

  /**
   * Remembers that {@code clientMessageId} of {@code user} was sequenced at {@code seq} without
   * assigning anything; used to seed the deduplication window from the stored log after a restart
   * (call in ascending seq order, so the newest ids stay in the window).
   *
   * @param user the sender
   * @param clientMessageId the sender's deduplication id
   * @param seq the seq the message got
   */
  void remember(UserId user, String clientMessageId, long seq);
}
