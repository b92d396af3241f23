package io.chatmesh.internal;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import io.chatmesh.wire.Lost;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.WireMessage;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The admin's bounded buffer of its latest sequenced entries, from which it answers a member node's
 * {@link io.chatmesh.wire.ResendRequest}: the entries the node missed are sent again; the part of
 * the range older than the buffer is answered with one {@link Lost}. Only released (durable)
 * entries are ever resent. Not thread-safe: used on the room's lane only.
 */
final class ResendBuffer {
  /** Most entries resent for one request (the member asks again for the rest). */
  static final int MAX_RESEND_BATCH = 1000;

  private final int capacity;
  private final ArrayDeque<Sequenced> entries = new ArrayDeque<>();

  ResendBuffer(int capacity) {
    this.capacity = capacity;
  }

  /** Keeps {@code e} (just sequenced), dropping the oldest entry past the capacity. */
  void add(Sequenced e) {
    entries.addLast(e);
    while (entries.size() > capacity) {
      entries.pollFirst();
    }
  }

  /** The buffered entries {@code fromSeq..toSeq}, at most {@code max}, ascending (those still buffered). */
  List<Sequenced> range(long fromSeq, long toSeq, int max) {
    List<Sequenced> out = new ArrayList<>();
    if (entries.isEmpty() || fromSeq > toSeq || entries.peekLast().seq() < fromSeq) {
      return out;
    }
    for (Iterator<Sequenced> it = entries.descendingIterator(); it.hasNext(); ) {
      Sequenced e = it.next();
      if (e.seq() < fromSeq) {
        break;
      }
      if (e.seq() <= toSeq) {
        out.add(e);
      }
    }
    java.util.Collections.reverse(out);
    return out.size() > max ? new ArrayList<>(out.subList(0, max)) : out;
  }

  /** The oldest buffered seq, or 0 when empty. */
  long oldest() {
    return entries.isEmpty() ? 0 : entries.peekFirst().seq();
  }

  int size() {
    return entries.size();
  }

  /**
   * Answers a request for entries {@code fromSeq..toSeq} of {@code room}: a {@link Lost} for the
   * part older than the buffer, then at most {@link #MAX_RESEND_BATCH} buffered entries, each
   * passed to {@code out}; never an entry above {@code released}.
   *
   * @return the number of entries resent
   */
  int serve(String room, long epoch, long fromSeq, long toSeq, long released, Consumer<WireMessage> out) {
    long first = entries.isEmpty() ? released + 1 : entries.peekFirst().seq();
    long from = Math.max(1, fromSeq);
    long to = Math.min(toSeq, released); // never an entry that is not durable yet
    if (from > to) {
      return 0;
    }
    if (from < first) {
      long lostTo = Math.min(to, first - 1);
      out.accept(new Lost(room, epoch, from, lostTo));
      from = lostTo + 1;
    }
    int sent = 0;
    for (Sequenced e : entries) {
      if (e.seq() >= from && e.seq() <= to && sent < MAX_RESEND_BATCH) {
        out.accept(e);
        sent++;
      }
    }
    return sent;
  }
}
