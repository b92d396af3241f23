package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.JoinOptions;
import io.chatmesh.Joined;
import io.chatmesh.NodeId;
import io.chatmesh.RoomEvent;
import io.chatmesh.UserId;
import io.chatmesh.wire.HistoryReply;
import io.chatmesh.wire.HistoryRequest;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.Sequenced;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the history a joining member asked for (member role): the entries between its {@link
 * JoinOptions} and its JOINED entry {@code J}, fetched from the admin in pages, then the live
 * events held for it meanwhile (which start at {@code J}). History ends at {@code J - 1} and the
 * held live stream starts at {@code J}: no gap, no duplicate. A member whose JOINED entry went by
 * before its node's delivery started gets its entries from {@code J} (or its options' start) up to
 * the live position {@code upTo} from history instead. Completes the join's future with {@code
 * recovered} false when some of what was asked for could not be delivered (each such range is
 * told with one {@link RoomEvent.MessagesLost}). A resume naming an older epoch than the room's is
 * exact when the log's entry at its seq carries its epoch (the room failed over or moved since:
 * its new admin continues the same log); one more read of that entry checks it. Not thread-safe:
 * runs on the room's lane.
 */
final class JoinCatchUp {
  private static final Logger log = LoggerFactory.getLogger(JoinCatchUp.class);

  /** What a catch-up needs from its room. */
  interface Room {
    /** The room's name. */
    String name();

    /** The node asking (for the logs). */
    NodeId self();

    /** The room's admin node. */
    NodeId admin();

    /** Whether {@code session} is still the user's session in the room (it did not leave meanwhile). */
    boolean current(UserId user, LocalSession session);

    /** Reads entries {@code after < seq < before}, at most {@code limit}, from the admin; answers on the lane. */
    void fetch(long after, long before, int limit, BiConsumer<@Nullable HistoryReply, @Nullable Throwable> then);

    /** Counts {@code n} entries the member will never get. */
    void countLost(long n);
  }

  private final Room room;
  private final UserId user;
  private final LocalSession local;
  private final Reply joined;
  private final CompletableFuture<Joined> out;
  private final long join;
  /** History ends at {@code upTo - 1}, the held live stream starts at {@code upTo} ({@code >= join}). */
  private final long upTo;
  private long from; // deliver entries with seq > from
  private long expected;
  private boolean recovered = true;

  JoinCatchUp(Room room, UserId user, LocalSession local, Reply joined, CompletableFuture<Joined> out, long upTo) {
    this.room = room;
    this.user = user;
    this.local = local;
    this.joined = joined;
    this.out = out;
    this.join = joined.seq();
    this.upTo = upTo;
  }

  void start() {
    JoinOptions o = local.options;
    if (o.mode() == JoinOptions.Mode.RESUME && o.epoch() != joined.epoch()) {
      if (o.epoch() < joined.epoch() && o.seq() >= 1 && o.seq() < join) {
        checkAcrossEpochs(o); // the room may have failed over since the client saw it: same log?
      } else {
        anotherLog(o);
      }
      return;
    }
    long first = switch (o.mode()) {
      case NONE -> join;
      case LAST -> Math.max(1, join - o.count());
      default -> o.seq() + 1;
    };
    deliverFrom(first);
  }

  /**
   * A resume naming an older epoch than the room's is exact when the log's entry at the client's
   * seq carries the client's epoch: the room failed over (or moved) and its new admin continues the
   * same log. Otherwise (the entry has another epoch, is no longer stored, or cannot be read) the
   * client saw another log: no history, not recovered.
   */
  private void checkAcrossEpochs(JoinOptions o) {
    room.fetch(o.seq() - 1, o.seq() + 1, 1, (h, e) -> {
      if (!room.current(user, local)) {
        out.complete(new Joined(room.name(), room.admin(), joined.epoch(), join, joined.members(), false));
        return;
      }
      ChatException error = Replies.historyError(h, e);
      if (error != null) {
        log.warn("{}: {} resumes room '{}' at epoch {} seq {}, whose entry could not be read: {}", room.self(), user, room.name(), o.epoch(), o.seq(), error.getMessage());
        recovered = false;
        deliverFrom(join);
        return;
      }
      boolean sameLog = h.entries().stream().anyMatch(s -> s.seq() == o.seq() && s.epoch() == o.epoch());
      if (sameLog) {
        deliverFrom(o.seq() + 1);
      } else {
        anotherLog(o);
      }
    });
  }

  private void anotherLog(JoinOptions o) {
    log.info("{}: {} resumes room '{}' at epoch {} seq {}, not an entry of the room's log (epoch {}): not recovered", room.self(), user, room.name(), o.epoch(), o.seq(), joined.epoch());
    recovered = false;
    deliverFrom(join);
  }

  private void deliverFrom(long start) {
    long first = start;
    if (first > join) {
      // the client claims to have seen entries after its own join: it saw another log
      recovered = false;
      first = join;
    }
    if (join - first > JoinOptions.MAX_ENTRIES) {
      lost(first, join - JoinOptions.MAX_ENTRIES - 1);
      first = join - JoinOptions.MAX_ENTRIES;
    }
    from = first - 1;
    expected = first;
    fetch();
  }

  private void fetch() {
    if (expected >= upTo) {
      finish(recovered);
      return;
    }
    int limit = (int) Math.min(HistoryRequest.MAX_LIMIT, upTo - expected);
    room.fetch(from, upTo, limit, (h, e) -> {
      if (!room.current(user, local)) {
        out.complete(new Joined(room.name(), room.admin(), joined.epoch(), join, joined.members(), false));
        return;
      }
      ChatException error = Replies.historyError(h, e);
      if (error != null) {
        log.warn("{}: history of room '{}' for {} could not be fetched: {}", room.self(), room.name(), user, error.getMessage());
        lost(expected, upTo - 1);
        finish(false);
        return;
      }
      for (Sequenced s : h.entries()) {
        if (s.seq() < expected || s.seq() >= upTo) {
          continue;
        }
        if (s.seq() > expected) {
          lost(expected, s.seq() - 1);
        }
        RoomEvent event = LocalSession.toEvent(room.name(), s);
        if (event != null) {
          local.safeCall(room.name(), event);
        }
        expected = s.seq() + 1;
      }
      if (h.entries().isEmpty() || h.entries().get(h.entries().size() - 1).seq() >= upTo - 1) {
        if (expected < upTo) {
          lost(expected, upTo - 1);
        }
        finish(recovered);
      } else {
        from = h.entries().get(h.entries().size() - 1).seq();
        fetch();
      }
    });
  }

  private void lost(long fromSeq, long toSeq) {
    if (fromSeq <= toSeq) {
      room.countLost(toSeq - fromSeq + 1);
      recovered = false;
      local.safeCall(room.name(), new RoomEvent.MessagesLost(room.name(), joined.epoch(), fromSeq, toSeq));
      expected = Math.max(expected, toSeq + 1);
    }
  }

  private void finish(boolean ok) {
    List<RoomEvent> held = local.held;
    local.held = null;
    if (held != null && room.current(user, local)) {
      for (RoomEvent ev : held) {
        local.safeCall(room.name(), ev);
      }
    }
    out.complete(new Joined(room.name(), room.admin(), joined.epoch(), join, joined.members(), ok));
  }
}
