package io.chatmesh.internal;

import io.chatmesh.ChatMessage;
import io.chatmesh.RoomEvent;
import io.chatmesh.UserId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The users joined to one room through this node (member role), in join order, when each session
 * starts and ends, and the fan-out of the room's events to their listeners.
 *
 * <p>A session's live events start where its answered join says ({@link #answered}): it becomes
 * active when delivery reaches that seq ({@link #activateStarted}). A JOINED entry of its user
 * delivered before the answer activates it only tentatively ({@link #joinedEntry}): what it gets is
 * kept until the answer says which of it is its own ({@link #settleEarly}), since the entry may be
 * an older session's (the user moved here from another node). A LEFT or NODE_FAILED of the user
 * ends only a started session ({@link #endSession}). A session whose join history is being fetched
 * gets live events appended to its held list (they are delivered after its history). Not
 * thread-safe: used on the room's lane only.
 */
final class LocalSessions {
  private static final Logger log = LoggerFactory.getLogger(LocalSessions.class);

  private final String room;
  private final LongAdder deliveries;
  private final LinkedHashMap<UserId, LocalSession> sessions = new LinkedHashMap<>();
  /** Answered sessions not active yet (their start not delivered yet); see {@link LocalSession#startsAt}. */
  private final Map<UserId, LocalSession> awaitingStart = new HashMap<>();

  /**
   * @param deliveries counts every event passed to a listener (a metric)
   */
  LocalSessions(String room, LongAdder deliveries) {
    this.room = room;
    this.deliveries = deliveries;
  }

  @Nullable LocalSession get(UserId user) {
    return sessions.get(user);
  }

  boolean contains(UserId user) {
    return sessions.containsKey(user);
  }

  void put(UserId user, LocalSession session) {
    sessions.put(user, session);
  }

  /** Removes the session of {@code user}; returns it, or null if there was none. */
  @Nullable LocalSession remove(UserId user) {
    LocalSession l = sessions.remove(user);
    awaitingStart.remove(user, l);
    return l;
  }

  boolean isEmpty() {
    return sessions.isEmpty();
  }

  int size() {
    return sessions.size();
  }

  /** The users, in join order (a copy). */
  List<UserId> users() {
    return new ArrayList<>(sessions.keySet());
  }

  /** The users whose join was answered (a copy, in join order). */
  List<UserId> answeredUsers() {
    List<UserId> out = new ArrayList<>();
    sessions.forEach((u, l) -> {
      if (!l.joinUnanswered()) {
        out.add(u);
      }
    });
    return out;
  }

  void clear() {
    sessions.clear();
    awaitingStart.clear();
  }

  // ---- when a session starts and ends

  /**
   * The join of {@code session} was answered: its live events start at {@code start} (its own
   * JOINED entry, or for a user already a member through another node, or a retried join, the first
   * entry it has to get; never earlier). A session active only tentatively is settled ({@link
   * #settleEarly}); one not active then becomes active when delivery reaches {@code start} ({@link
   * #activateStarted}). Ignored for a session that is no longer {@code user}'s.
   *
   * @param nextLive the next seq delivery will release, or 0 while delivery has not started
   */
  void answered(UserId user, LocalSession session, long start, long nextLive) {
    if (sessions.get(user) != session) {
      return;
    }
    settleEarly(session, start, nextLive);
    if (!session.active) {
      session.startsAt = start;
      awaitingStart.put(user, session);
    }
  }

  /**
   * Activates the answered sessions whose live events start at or before {@code seq} (called as
   * delivery reaches {@code seq}, before its event is fired; a session is active from its start on,
   * whether or not the entry there is its own JOINED).
   */
  void activateStarted(long seq) {
    if (awaitingStart.isEmpty()) {
      return;
    }
    awaitingStart.entrySet().removeIf(e -> {
      LocalSession l = e.getValue();
      if (sessions.get(e.getKey()) != l || l.active) {
        return true;
      }
      if (l.startsAt <= seq) {
        l.active = true;
        return true;
      }
      return false;
    });
  }

  /**
   * A JOINED entry of {@code user} is being delivered: a session of the user whose join is not
   * answered yet becomes active tentatively (the entry is its own or an older session's on another
   * node); the events it gets are kept until the answer ({@link #settleEarly}).
   */
  void joinedEntry(UserId user) {
    LocalSession l = sessions.get(user);
    if (l != null && !l.active && l.startsAt == 0) {
      l.active = true;
      l.early = new ArrayList<>();
    }
  }

  /**
   * A LEFT or NODE_FAILED entry of {@code user} was delivered: ends its session if that one started
   * (the entry comes after the session's join). A session active only tentatively saw an older
   * session's JOINED: it goes back to waiting, and what it kept is dropped. A session not active
   * is a newer one (the user moved here): the entry ends the old one, not it.
   */
  void endSession(UserId user) {
    LocalSession l = sessions.get(user);
    if (l == null || !l.active) {
      return;
    }
    if (l.early != null) {
      l.active = false;
      l.early = null;
      return;
    }
    sessions.remove(user, l);
    awaitingStart.remove(user, l);
  }

  /**
   * The join of {@code session}, active tentatively, was answered: its live events start at {@code
   * start}. If delivery is past it ({@code nextLive > start}), the session keeps what it got from
   * there on (delivered now, or held behind its join history); otherwise it only saw an older
   * session's entries and is not active any more. Nothing happens for a session not tentative.
   * {@code nextLive} as for {@link #answered}.
   *
   */
  private void settleEarly(LocalSession session, long start, long nextLive) {
    List<RoomEvent> early = session.early;
    session.early = null;
    if (early == null) {
      return;
    }
    if (nextLive <= start) {
      session.active = false;
      return;
    }
    for (RoomEvent ev : early) {
      if (lastSeqOf(ev) < start) {
        continue;
      }
      if (session.held != null) {
        session.held.add(ev);
      } else {
        deliveries.increment(); // a live event, counted like those fire() delivers
        session.safeCall(room, ev);
      }
    }
  }

  /** The last seq an event is about (Long.MAX_VALUE for an event about no seq). */
  static long lastSeqOf(RoomEvent ev) {
    if (ev instanceof ChatMessage m) {
      return m.seq();
    } else if (ev instanceof RoomEvent.MemberJoined j) {
      return j.seq();
    } else if (ev instanceof RoomEvent.MemberLeft l && l.seq() > 0) {
      return l.seq();
    } else if (ev instanceof RoomEvent.MessagesLost ml) {
      return ml.toSeq();
    }
    return Long.MAX_VALUE;
  }

  // ---- fan-out

  /**
   * Passes {@code event} to every active session (and to those still joining when {@code
   * includePending}); a session active only tentatively keeps it (unless {@code includePending}),
   * a session fetching its join history holds it instead. A listener's exception
   * is logged, never passed on, and the other listeners still get the event.
   */
  void fire(RoomEvent event, boolean includePending) {
    // no copy of the members per event: a listener cannot change the sessions while we iterate,
    // since every API call it makes is queued on this lane, never run inline
    for (Map.Entry<UserId, LocalSession> e : sessions.entrySet()) {
      LocalSession l = e.getValue();
      if (l.active || includePending) {
        if (l.early != null && !includePending) {
          l.early.add(event); // its join is not answered yet: kept until it is
          continue;
        }
        if (l.held != null) {
          l.held.add(event); // its history is being fetched: live events wait behind it
          continue;
        }
        try {
          deliveries.increment();
          l.listener.onEvent(event);
        } catch (RuntimeException ex) {
          log.warn("listener of {} in room '{}' failed on {}", e.getKey(), room, event, ex);
        }
      }
    }
  }
}
