package io.chatmesh.websocket;

import io.chatmesh.ChatMessage;
import io.chatmesh.JoinOptions;
import io.chatmesh.Joined;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.RoomListener;
import io.chatmesh.UserId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * One node-level membership per (user, room) shared by all of that user's connections to this
 * gateway (tabs, devices): the node sees one member, every connection receives every event. The
 * first connection's join is the node's join (with its history options); a later connection is
 * attached to it and gets the live events from then on, plus the history it asked for read from
 * the room's message history (messages only, at most 1000: member events of the past are not
 * replayed to it). A resume of an older epoch than the room's is exact when the stored message at
 * its seq has that epoch (the room failed over or moved). A connection's leave only leaves the room
 * when it is the user's last connection in it. Thread-safe: each shared membership is guarded by its own monitor; listeners are called
 * on chatmesh threads, outside that monitor, in event order.
 */
final class SharedJoins {
  private static final int MAX_ATTACHED_HISTORY = 1000;

  private record Key(String user, String room) {}

  private final ConcurrentHashMap<Key, Shared> shared = new ConcurrentHashMap<>();

  /** Joins {@code user} to {@code room} for one connection whose events go to {@code listener}. */
  CompletableFuture<Joined> join(Room room, UserId user, JoinOptions options, RoomListener listener) {
    Key key = new Key(user.value(), room.name());
    while (true) {
      Shared s = shared.get(key);
      if (s == null) {
        Shared fresh = new Shared(key, room, user, listener);
        if (shared.putIfAbsent(key, fresh) != null) {
          continue;
        }
        CompletableFuture<Joined> f;
        try {
          f = room.join(user, fresh, options);
        } catch (RuntimeException e) {
          shared.remove(key, fresh);
          fresh.joined.completeExceptionally(e);
          throw e;
        }
        // a failed join is forgotten before anyone hears of the failure, so a retry starts afresh
        f.whenComplete((j, t) -> {
          if (t != null) {
            shared.remove(key, fresh);
            fresh.joined.completeExceptionally(t);
          } else {
            fresh.joined.complete(j);
          }
        });
        return fresh.joined;
      }
      if (s.joined.isCompletedExceptionally()) {
        shared.remove(key, s);
        continue;
      }
      return s.joined.thenCompose(j -> s.attach(listener, options, j));
    }
  }

  /** Leaves for one connection; the node leaves the room only with the user's last connection. */
  CompletableFuture<Void> leave(Room room, UserId user, RoomListener listener) {
    Key key = new Key(user.value(), room.name());
    Shared s = shared.get(key);
    if (s == null) {
      return room.leave(user);
    }
    boolean last;
    synchronized (s) {
      s.listeners.removeIf(l -> l == listener || (l instanceof Attached a && a.target == listener));
      last = s.listeners.isEmpty();
    }
    if (!last) {
      return CompletableFuture.completedFuture(null);
    }
    shared.remove(key, s);
    return room.leave(user);
  }

  /** The node-level membership: fans each event out to the attached connections. */
  private final class Shared implements RoomListener {
    final Key key;
    final Room room;
    final UserId user;
    final List<RoomListener> listeners = new ArrayList<>();
    /** The node-level join: completes (or fails, after this membership is forgotten) once. */
    final CompletableFuture<Joined> joined = new CompletableFuture<>();
    /** Highest seq delivered so far; an attached connection's live stream starts after it. */
    long lastSeq;

    Shared(Key key, Room room, UserId user, RoomListener first) {
      this.key = key;
      this.room = room;
      this.user = user;
      listeners.add(first);
    }

    @Override
    public void onEvent(RoomEvent event) {
      List<RoomListener> to;
      synchronized (this) {
        long seq = seqOf(event);
        if (seq > lastSeq) {
          lastSeq = seq;
        }
        to = List.copyOf(listeners);
      }
      boolean gone = event instanceof RoomEvent.RoomDeleted
          || (event instanceof RoomEvent.MemberLeft l && l.user().equals(user) && l.reason() != RoomEvent.LeaveReason.LEFT);
      if (gone) {
        shared.remove(key, this);
      }
      for (RoomListener l : to) {
        l.onEvent(event);
      }
    }

    /** Adds a connection to a membership that is already joined. */
    CompletableFuture<Joined> attach(RoomListener listener, JoinOptions options, Joined first) {
      Attached attached = new Attached(listener);
      long from;
      synchronized (this) {
        from = Math.max(lastSeq, first.seq()) + 1;
        listeners.add(attached); // live events from `from` on, held until the history is out
      }
      long after = options.mode() == JoinOptions.Mode.LAST ? 0 : options.seq();
      CompletableFuture<Boolean> sameLog = options.mode() == JoinOptions.Mode.RESUME
          ? resumesThisLog(options, from) : CompletableFuture.completedFuture(true);
      CompletableFuture<Joined> out = sameLog.thenCompose(same -> {
        long wanted = switch (options.mode()) {
          case NONE -> 0;
          case LAST -> options.count();
          case SINCE, RESUME -> same ? Math.max(0, from - 1 - options.seq()) : 0;
        };
        boolean recovered = same && wanted <= MAX_ATTACHED_HISTORY;
        CompletableFuture<List<ChatMessage>> history = wanted == 0
            ? CompletableFuture.completedFuture(List.of())
            : room.history(from, (int) Math.min(wanted, MAX_ATTACHED_HISTORY));
        return history.thenCombine(room.info(), (messages, info) -> {
          List<RoomEvent> replay = new ArrayList<>();
          for (ChatMessage m : messages) {
            if (m.seq() > after && m.seq() < from) {
              replay.add(m);
            }
          }
          attached.release(replay);
          return new Joined(room.name(), info.admin(), info.epoch(), from, info.members(), recovered);
        });
      });
      out.whenComplete((j, t) -> {
        if (t != null) {
          synchronized (this) {
            listeners.remove(attached);
          }
        }
      });
      return out;
    }

    /**
     * Whether a resume's (epoch, seq) is an entry of this room's log: the room's epoch now, or an
     * older one that the stored message at that seq carries (the room failed over or moved since,
     * its new admin continuing the same log). Only messages can be read here: a resume from a
     * member event of an older epoch, or one whose message cannot be read, counts as another log.
     */
    private CompletableFuture<Boolean> resumesThisLog(JoinOptions o, long from) {
      return room.info().thenCompose(info -> {
        if (o.epoch() == info.epoch()) {
          return CompletableFuture.completedFuture(true);
        }
        if (o.epoch() > info.epoch() || o.seq() < 1 || o.seq() >= from) {
          return CompletableFuture.completedFuture(false);
        }
        return room.history(o.seq() + 1, 1)
            .thenApply(ms -> ms.stream().anyMatch(m -> m.seq() == o.seq() && m.epoch() == o.epoch()))
            .exceptionally(e -> false);
      });
    }
  }

  /** A connection attached to a joined membership: holds live events until its history is out. */
  private static final class Attached implements RoomListener {
    final RoomListener target;
    private @Nullable List<RoomEvent> held = new ArrayList<>();

    Attached(RoomListener target) {
      this.target = target;
    }

    @Override
    public synchronized void onEvent(RoomEvent event) {
      List<RoomEvent> h = held;
      if (h != null) {
        h.add(event);
      } else {
        target.onEvent(event);
      }
    }

    synchronized void release(List<RoomEvent> history) {
      List<RoomEvent> h = held;
      held = null;
      for (RoomEvent e : history) {
        target.onEvent(e);
      }
      if (h != null) {
        for (RoomEvent e : h) {
          target.onEvent(e);
        }
      }
    }
  }

  private static long seqOf(RoomEvent event) {
    if (event instanceof ChatMessage m) {
      return m.seq();
    }
    if (event instanceof RoomEvent.MemberJoined j) {
      return j.seq();
    }
    if (event instanceof RoomEvent.MemberLeft l) {
      return l.seq();
    }
    return 0;
  }
}
