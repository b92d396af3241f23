package io.chatmesh.internal;

import io.chatmesh.UserId;
import io.chatmesh.spi.history.HistoryEntry;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.Sequenced;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Converts between the wire's log entries and the history SPI's, so the stored log never depends
 * on how the wire names things. Stateless; thread-safe.
 */
final class HistoryEntries {
  private HistoryEntries() {}

  /**
   * The users whose newest membership entry in the stored log of {@code room} is a join: the
   * members when the log was last written (a user whose join was trimmed from a bounded store is
   * not found). Reads the whole stored log backwards, page by page; blocks on a blocking store.
   */
  /** What an admin continuing a stored log needs from it (after a restart or a takeover). */
  record StoredLog(long last, List<Sequenced> recent, List<UserId> members, List<Sequenced> settings) {}

  /**
   * Reads what an admin continuing the stored log of {@code room} needs: the last seq, the newest
   * {@code recent} entries (the dedup window and resend buffer), the members at the end, and the
   * ownership entries. Blocks on a blocking store.
   */
  static StoredLog readStoredLog(HistoryStore store, String room, int recent) {
    long last = store.lastPosition(room).map(HistoryStore.Position::seq).orElse(0L);
    if (last == 0) {
      return new StoredLog(0, List.of(), List.of(), List.of());
    }
    return new StoredLog(last, fromStored(store.readBefore(room, Long.MAX_VALUE, recent)), membersAtEnd(store, room),
        ownershipEntries(store, room, last));
  }

  /** The ownership entries (owner, visibility, invitations) of a stored log, ascending, read page by page. */
  static List<Sequenced> ownershipEntries(HistoryStore store, String room, long last) {
    List<Sequenced> out = new java.util.ArrayList<>();
    long after = 0;
    while (after < last) {
      List<Sequenced> page = fromStored(store.readAfter(room, after, 1000));
      if (page.isEmpty()) {
        break;
      }
      for (Sequenced e : page) {
        if (Ownership.isSettings(e.kind())) {
          out.add(e);
        }
      }
      after = page.get(page.size() - 1).seq();
    }
    return out;
  }

  static List<UserId> membersAtEnd(HistoryStore store, String room) {
    Map<UserId, Boolean> newest = new HashMap<>();
    long before = Long.MAX_VALUE;
    for (List<HistoryEntry> page = store.readBefore(room, before, 1000); !page.isEmpty(); page = store.readBefore(room, before, 1000)) {
      for (int i = page.size() - 1; i >= 0; i--) {
        HistoryEntry e = page.get(i);
        // only joins and removals change membership: a SETTINGS entry names the owner and an
        // (UN)INVITED entry the invitee, neither of which joins or leaves by it
        switch (e.kind()) {
          case JOINED -> newest.putIfAbsent(e.user(), true);
          case LEFT, NODE_FAILED -> newest.putIfAbsent(e.user(), false);
          default -> { }
        }
      }
      before = page.get(0).seq();
    }
    TreeSet<UserId> members = new TreeSet<>();
    newest.forEach((u, joined) -> {
      if (joined) {
        members.add(u);
      }
    });
    return List.copyOf(members);
  }

  static HistoryEntry toStored(Sequenced e) {
    return new HistoryEntry(
        e.room(), e.epoch(), e.seq(), kind(e.kind()), e.user(), e.text(), e.clientMessageId(), e.timestamp());
  }

  static Sequenced fromStored(HistoryEntry e) {
    return new Sequenced(
        e.room(), e.epoch(), e.seq(), kind(e.kind()), e.user(), e.text(), e.clientMessageId(), e.timestamp());
  }

  static List<HistoryEntry> toStored(List<Sequenced> entries) {
    List<HistoryEntry> out = new ArrayList<>(entries.size());
    for (Sequenced e : entries) {
      out.add(toStored(e));
    }
    return out;
  }

  static List<Sequenced> fromStored(List<HistoryEntry> entries) {
    List<Sequenced> out = new ArrayList<>(entries.size());
    for (HistoryEntry e : entries) {
      out.add(fromStored(e));
    }
    return out;
  }

  static HistoryEntry.Kind kind(EventKind k) {
    return switch (k) {
      case MESSAGE -> HistoryEntry.Kind.MESSAGE;
      case JOINED -> HistoryEntry.Kind.JOINED;
      case LEFT -> HistoryEntry.Kind.LEFT;
      case NODE_FAILED -> HistoryEntry.Kind.NODE_FAILED;
      case SETTINGS -> HistoryEntry.Kind.SETTINGS;
      case INVITED -> HistoryEntry.Kind.INVITED;
      case UNINVITED -> HistoryEntry.Kind.UNINVITED;
    };
  }

  static EventKind kind(HistoryEntry.Kind k) {
    return switch (k) {
      case MESSAGE -> EventKind.MESSAGE;
      case JOINED -> EventKind.JOINED;
      case LEFT -> EventKind.LEFT;
      case NODE_FAILED -> EventKind.NODE_FAILED;
      case SETTINGS -> EventKind.SETTINGS;
      case INVITED -> EventKind.INVITED;
      case UNINVITED -> EventKind.UNINVITED;
    };
  }

  /**
   * Entries with {@code after < seq < before} of {@code room} from {@code store}: the oldest ones,
   * or the newest ones when {@code newest}; with {@code messagesOnly}, only chat messages, paging
   * until {@code limit} of them are found. Blocks on a blocking store.
   */
  static List<Sequenced> readRange(
      HistoryStore store, String room, long after, long before, int limit, boolean newest, boolean messagesOnly) {
    ArrayDeque<Sequenced> out = new ArrayDeque<>();
    long lo = after;
    long hi = before;
    for (int page = 0; page < 50 && out.size() < limit && hi - lo > 1; page++) {
      List<Sequenced> got = fromStored(newest ? store.readBefore(room, hi, limit) : store.readAfter(room, lo, limit));
      if (got.isEmpty()) {
        break;
      }
      if (newest) {
        for (int i = got.size() - 1; i >= 0 && out.size() < limit; i--) {
          Sequenced s = got.get(i);
          if (s.seq() > after && (!messagesOnly || s.kind() == EventKind.MESSAGE)) {
            out.addFirst(s);
          }
        }
        hi = got.get(0).seq();
      } else {
        for (Sequenced s : got) {
          if (s.seq() >= before || out.size() >= limit) {
            break;
          }
          if (!messagesOnly || s.kind() == EventKind.MESSAGE) {
            out.addLast(s);
          }
        }
        lo = got.get(got.size() - 1).seq();
      }
      if (!messagesOnly) {
        break;
      }
    }
    return List.copyOf(out);
  }
}
