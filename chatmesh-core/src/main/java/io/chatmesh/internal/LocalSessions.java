package io.chatmesh.internal;

import io.chatmesh.RoomEvent;
import io.chatmesh.UserId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The users joined to one room through this node (member role), in join order, and the fan-out of
 * the room's events to their listeners. A session whose join history is being fetched gets live
 * events appended to its held list instead (they are delivered after its history). Not
 * thread-safe: used on the room's lane only.
 */
final class LocalSessions {
  private static final Logger log = LoggerFactory.getLogger(LocalSessions.class);

  private final String room;
  private final LongAdder deliveries;
  private final LinkedHashMap<UserId, LocalSession> sessions = new LinkedHashMap<>();

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
    return sessions.remove(user);
  }

  /** Removes the session of {@code user} only if it is {@code session} (never when that is null). */
  void remove(UserId user, @Nullable LocalSession session) {
    sessions.remove(user, session);
  }

  /** The session of {@code user} if its own JOINED entry was delivered, else null. */
  @Nullable LocalSession active(UserId user) {
    LocalSession l = sessions.get(user);
    return l != null && l.active ? l : null;
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

  void clear() {
    sessions.clear();
  }

  /**
   * Passes {@code event} to every active session (and to those still joining when {@code
   * includePending}); a session fetching its join history holds it instead. A listener's exception
   * is logged, never passed on, and the other listeners still get the event.
   */
  void fire(RoomEvent event, boolean includePending) {
    // no copy of the members per event: a listener cannot change the sessions while we iterate,
    // since every API call it makes is queued on this lane, never run inline
    for (Map.Entry<UserId, LocalSession> e : sessions.entrySet()) {
      LocalSession l = e.getValue();
      if (l.active || includePending) {
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
