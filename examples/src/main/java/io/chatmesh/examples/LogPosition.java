package io.chatmesh.examples;

/**
 * How an entry of a room's log, or a join, relates to the last entry a client saw: the rule the
 * terminal client shares with the JavaScript client ({@code logRelation} in clients/js) and
 * PROTOCOL.md. When a room fails over or is moved, its new admin continues the same log with a
 * higher epoch (seqs go on with no gap, the entries before keep their old epoch), so a seq after
 * the last one seen continues the log whatever its epoch; only a seq at or below it with another
 * epoch (or a join not after it) is a restarted log. Stateless; thread-safe.
 */
final class LogPosition {
  /** What an entry or join is to the last entry seen. */
  enum Relation {
    /** Seen already (same epoch, seq not after the last seen): a resume overlap, dropped. */
    SEEN,
    /** After the last seen: the same log (with a higher epoch: at a new admin). */
    CONTINUES,
    /** Not after the last seen, with another epoch (or a join): the room's log started again. */
    RESTARTED
  }

  private LogPosition() {}

  /**
   * Relates an entry or a join to the last entry seen.
   *
   * @param seenEpoch the epoch of the last entry seen, 0 when none was seen
   * @param seenSeq the seq of the last entry seen, 0 when none was seen
   * @param epoch the epoch of the entry (or the {@code joined} frame)
   * @param seq its seq (a {@code joined} frame's: the seq of the join entry)
   * @param join whether it is a {@code joined} frame (a join entry is never seen already)
   * @return the relation
   */
  static Relation relation(long seenEpoch, long seenSeq, long epoch, long seq, boolean join) {
    if (seenEpoch == 0 || seq > seenSeq) {
      return Relation.CONTINUES;
    }
    return !join && epoch == seenEpoch ? Relation.SEEN : Relation.RESTARTED;
  }
}
