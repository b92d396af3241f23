package io.chatmesh.internal;

import io.chatmesh.wire.HistoryRequest;
import io.chatmesh.wire.Sequenced;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * What a member node delivered of a room, by epoch, and whether that is still the room's log after
 * a failover (known violation F5 of the nemesis). With {@link io.chatmesh.Failover.Acks#ADMIN_ONLY}
 * an admin broadcasts entries its replicas may not hold yet; if it dies then, the next admin
 * continues after the last seq it could collect and sequences other entries at the seqs this node
 * already delivered. Like a Kafka follower that truncates its log to the new leader epoch's end
 * offset, a member node that learns a newer epoch than the one it last delivered compares the epochs
 * of what it delivered with the new admin's log ({@link MemberRole} reads it with a {@link
 * HistoryRequest}): the first seq whose entry has another epoch there (one epoch never sequences two
 * entries at one seq, and an adopted entry keeps its epoch) is where the member's delivery goes back
 * to. Entries of the newer epoch wait here until that check answered, so nothing of it is released
 * on top of entries the room's log no longer has.
 *
 * <p>Not thread-safe: used on its room's lane.
 */
final class DeliveredEpochs {
  /** Most epoch changes remembered (older ones are forgotten: a failover goes back a few seqs at most). */
  private static final int MAX_EPOCHS = 64;

  /** The epoch of seqs declared lost here (nothing delivered: nothing to compare). */
  private static final long UNKNOWN = 0;

  /** The first delivered seq of each run of one epoch, to that epoch ({@link #UNKNOWN} from a range declared lost). */
  private final TreeMap<Long, Long> epochFrom = new TreeMap<>();
  /** Entries of a newer epoch than the last delivered one, waiting for the check. */
  private final List<Sequenced> held = new ArrayList<>();
  private final int maxHeld;
  private long lastEpoch;
  /** The newest admin epoch the delivered entries were checked against. */
  private long checked;
  /** A check is in flight. */
  private boolean checking;
  /** The admin's durable seq at the last check that could not decide (its log ended below what was delivered), else -1. */
  private long undecidedAt = -1;
  /** Bumped whenever delivery restarts or goes back: a check's answer for an older generation is ignored. */
  private long generation;

  /** @param maxHeld most newer-epoch entries held during a check (more are dropped; a resend fetches them again) */
  DeliveredEpochs(int maxHeld) {
    this.maxHeld = maxHeld;
  }

  /** An entry was released to the local sessions. */
  void delivered(Sequenced s) {
    Map.Entry<Long, Long> run = epochFrom.lastEntry();
    if (s.epoch() != lastEpoch || (run != null && run.getValue() == UNKNOWN)) {
      epochFrom.put(s.seq(), s.epoch());
      lastEpoch = s.epoch();
      while (epochFrom.size() > MAX_EPOCHS) {
        epochFrom.pollFirstEntry();
      }
    }
  }

  /**
   * Whether learning of {@code epoch} (from an entry, a tail or a sync) asks for a check: entries
   * were delivered, all of older epochs, and no check against {@code epoch} or a newer one was made.
   */
  boolean needsCheck(long epoch) {
    return lastEpoch > 0 && epoch > lastEpoch && epoch > checked;
  }

  /** Whether {@code s} must wait for the check ({@link #needsCheck} of its epoch); if so it is kept. */
  boolean hold(Sequenced s) {
    if (!needsCheck(s.epoch())) {
      return false;
    }
    if (held.size() < maxHeld) {
      held.add(s);
    }
    return true;
  }

  /**
   * Whether a check should be sent now: one is needed for {@code epoch}, none is in flight, and the
   * admin's log ({@code adminSeq}: its last seq as the trigger shows it) went past where the last
   * undecided check found it.
   */
  boolean shouldCheck(long epoch, long adminSeq) {
    return !checking && needsCheck(epoch) && (undecidedAt < 0 || adminSeq > undecidedAt);
  }

  /** Marks a check sent; returns its generation. */
  long checkSent() {
    checking = true;
    return generation;
  }

  /** The first seq worth comparing when delivery is at {@code next}: the oldest delivered seq remembered, at most a history page back. */
  long checkFrom(long next) {
    long first = epochFrom.isEmpty() ? next : epochFrom.firstKey();
    return Math.max(Math.max(1, first), next - HistoryRequest.MAX_LIMIT);
  }

  /** Whether an answer sent for {@code gen} is still about this delivery (else it is dropped). */
  boolean current(long gen) {
    return gen == generation;
  }

  /** The check failed (no answer, an error): a later entry or tail of a newer epoch asks again. */
  void checkFailed() {
    checking = false;
    undecidedAt = -1;
  }

  /**
   * The new admin's log answered the check: {@code log} are its entries from {@code from} to
   * {@code next - 1} as far as it holds them durably ({@code adminSeq}, at epoch {@code adminEpoch}).
   * Returns the first seq delivered here whose entry has another epoch in that log ({@code next} if
   * none); when {@code adminSeq} is below {@code next - 1} and nothing differs the check cannot
   * decide (the admin may still re-release adopted entries, or its own ones are not sequenced yet)
   * and held entries keep waiting, for a tail or an entry showing its log grew.
   */
  long answered(List<Sequenced> log, long from, long next, long adminEpoch, long adminSeq) {
    checking = false;
    for (Sequenced s : log) {
      long got = epochAt(s.seq());
      if (s.seq() >= from && s.seq() < next && got != UNKNOWN && s.epoch() != got) {
        checked = Math.max(checked, adminEpoch);
        undecidedAt = -1;
        return s.seq();
      }
    }
    if (adminSeq >= next - 1) {
      checked = Math.max(checked, adminEpoch);
      undecidedAt = -1;
    } else {
      undecidedAt = adminSeq;
    }
    return next;
  }

  /** The newest held entry (the furthest the admin's log is known to reach), or null. */
  @Nullable Sequenced newestHeld() {
    return held.stream().max(java.util.Comparator.comparingLong(Sequenced::seq)).orElse(null);
  }

  /** Takes the held entries that may be offered now (those of an epoch checked). */
  List<Sequenced> release() {
    List<Sequenced> out = new ArrayList<>();
    held.removeIf(s -> {
      if (needsCheck(s.epoch())) {
        return false;
      }
      out.add(s);
      return true;
    });
    return out;
  }

  /** Seqs from {@code from} on were declared lost ({@link io.chatmesh.wire.Lost}): nothing delivered there to compare. */
  void skipped(long from) {
    if (lastEpoch > 0) {
      epochFrom.put(from, UNKNOWN);
    }
  }

  /** Delivery goes back to {@code seq}: what was delivered from there on is forgotten. */
  void truncate(long seq) {
    generation++;
    epochFrom.tailMap(seq, true).clear();
    lastEpoch = epochFrom.descendingMap().values().stream().filter(e -> e != UNKNOWN).findFirst().orElse(0L);
  }

  /** Forgets everything (delivery restarts). */
  void reset() {
    generation++;
    epochFrom.clear();
    held.clear();
    lastEpoch = 0;
    checked = 0;
    checking = false;
    undecidedAt = -1;
  }

  private long epochAt(long seq) {
    Map.Entry<Long, Long> e = epochFrom.floorEntry(seq);
    return e == null ? -1 : e.getValue();
  }
}
