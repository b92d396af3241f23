package io.chatmesh;

import java.util.Objects;

/**
 * What a joining member gets from the room's history before the live stream: nothing ({@link
 * #none()}, the default), the entries after a seq it saw ({@link #since}), the newest entries
 * before its join ({@link #last}), or, after a reconnect, what it missed since the last entry it
 * saw ({@link #resume}).
 *
 * <p>History entries (messages, joins and leaves, ascending by seq) are delivered to the member's
 * listener before its own {@link RoomEvent.MemberJoined} and every later live event, with no gap and
 * no duplicate at the hand-over, even while others send. Whatever cannot be delivered (trimmed from
 * a bounded store, more than {@link #MAX_ENTRIES}, or the admin did not answer in time) is
 * reported as {@link RoomEvent.MessagesLost} for exactly the missing seqs, and {@link
 * Joined#recovered()} is false.
 *
 * <p>Immutable value; thread-safe.
 */
public final class JoinOptions {
  /** Most history entries delivered on one join; older ones are reported lost. */
  public static final int MAX_ENTRIES = 10_000;

  /** What kind of history a join asks for. */
  public enum Mode {
    /** Only the live stream from the join on. */
    NONE,
    /** Entries with seq greater than {@link #seq()}. */
    SINCE,
    /** The newest {@link #count()} entries before the join. */
    LAST,
    /** Entries after {@link #seq()} of epoch {@link #epoch()}, the last one the client saw. */
    RESUME
  }

  private static final JoinOptions NONE = new JoinOptions(Mode.NONE, 0, 0, 0);

  private final Mode mode;
  private final long epoch;
  private final long seq;
  private final int count;

  private JoinOptions(Mode mode, long epoch, long seq, int count) {
    this.mode = mode;
    this.epoch = epoch;
    this.seq = seq;
    this.count = count;
  }

  /**
   * No history: the member sees events from its own join on.
   *
   * @return the options for a join without history
   */
  public static JoinOptions none() {
    return NONE;
  }

  /**
   * The stored entries with seq greater than {@code seq} (0 = the whole stored log, up to {@link
   * #MAX_ENTRIES}), then the live stream.
   *
   * @throws ChatException BAD_REQUEST if {@code seq} is negative
   * @param seq the last seq the member has, 0 for the whole stored log
   * @return the options
   */
  public static JoinOptions since(long seq) {
    if (seq < 0) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "since must be 0 or more, was " + seq);
    }
    return new JoinOptions(Mode.SINCE, 0, seq, 0);
  }

  /**
   * The newest {@code entries} log entries before the join, then the live stream.
   *
   * @throws ChatException BAD_REQUEST unless 1 &lt;= entries &lt;= {@link #MAX_ENTRIES}
   * @param entries how many entries, 1 to {@link #MAX_ENTRIES}
   * @return the options
   */
  public static JoinOptions last(int entries) {
    if (entries < 1 || entries > MAX_ENTRIES) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "last must be 1.." + MAX_ENTRIES + ", was " + entries);
    }
    return new JoinOptions(Mode.LAST, 0, 0, entries);
  }

  /**
   * Resumes after a reconnect (through any node): {@code epoch} and {@code seq} of the last entry
   * the client saw. It gets exactly the entries it missed, then the live stream; if they cannot all
   * be delivered, {@link Joined#recovered()} is false. An older epoch than the room's is exact when
   * the log's entry at {@code seq} has that epoch: the room failed over or was moved since, and its
   * new admin continues the same log with a higher epoch. Otherwise a different epoch than the
   * room's (the log the client saw is not this room's log, e.g. the room was deleted and created
   * again: every creation gets a new epoch) gives {@code recovered = false}, with no history.
   *
   * @throws ChatException BAD_REQUEST if {@code epoch} is below 1 or {@code seq} negative
   * @param epoch the epoch of the last entry the client saw, at least 1
   * @param seq the seq of that entry, 0 or more
   * @return the options
   */
  public static JoinOptions resume(long epoch, long seq) {
    if (epoch < 1 || seq < 0) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "resume needs epoch >= 1 and seq >= 0, was " + epoch + "/" + seq);
    }
    return new JoinOptions(Mode.RESUME, epoch, seq, 0);
  }

  /**
   * The kind of history asked for.
   *
   * @return the mode
   */
  public Mode mode() {
    return mode;
  }

  /**
   * The epoch of {@link Mode#RESUME}, 0 otherwise.
   *
   * @return the epoch, or 0
   */
  public long epoch() {
    return epoch;
  }

  /**
   * The last seen seq of {@link Mode#SINCE} and {@link Mode#RESUME}, 0 otherwise.
   *
   * @return the seq, or 0
   */
  public long seq() {
    return seq;
  }

  /**
   * The entry count of {@link Mode#LAST}, 0 otherwise.
   *
   * @return the count, or 0
   */
  public int count() {
    return count;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof JoinOptions j && j.mode == mode && j.epoch == epoch && j.seq == seq && j.count == count;
  }

  @Override
  public int hashCode() {
    return Objects.hash(mode, epoch, seq, count);
  }

  @Override
  public String toString() {
    return switch (mode) {
      case NONE -> "JoinOptions.none()";
      case SINCE -> "JoinOptions.since(" + seq + ")";
      case LAST -> "JoinOptions.last(" + count + ")";
      case RESUME -> "JoinOptions.resume(" + epoch + ", " + seq + ")";
    };
  }
}
