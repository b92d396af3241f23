package io.chatmesh.sequencer;

import io.chatmesh.UserId;
import java.util.OptionalLong;

/**
 * Assigns a room's sequence numbers on its administrator and remembers {@code (user, client
 * message id) -> seq} for a bounded window so a retried message gets its original number back.
 * Every sequenced entry carries {@code (epoch, seq)}; the epoch changes only on failover.
 *
 * <p>Not thread-safe: a room's sequencer is used only on that room's serial lane.
 */
public interface Sequencer {

  /** A sequencer starting after {@code lastSeq} in {@code epoch}, remembering {@code dedupWindow} ids. */
  static Sequencer create(long epoch, long lastSeq, int dedupWindow) {
    return new DefaultSequencer(epoch, lastSeq, dedupWindow);
  }

  /** The current epoch. */
  long epoch();

  /** The last sequence number assigned (0 before the first). */
  long lastSeq();

  /** The seq already assigned to this client message, if it is still remembered. */
  OptionalLong lookup(UserId user, String clientMessageId);

  /**
   * Assigns the next seq. When {@code clientMessageId} is non-null it is remembered with the seq;
   * callers check {@link #lookup} first.
   */
  long next(UserId user, @org.jspecify.annotations.Nullable String clientMessageId);
}
