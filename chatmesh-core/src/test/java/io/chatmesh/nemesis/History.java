package io.chatmesh.nemesis;

import io.chatmesh.ChatMessage;
import io.chatmesh.ErrorCode;
import io.chatmesh.JoinOptions;
import io.chatmesh.RoomEvent;
import io.chatmesh.RoomListener;
import io.chatmesh.UserId;
import io.chatmesh.spi.history.HistoryEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * What a nemesis run did and saw: every client operation with its invocation and outcome, every
 * event each member session received, the faults applied, and the end state of every node's
 * directory. Everything is stamped with a global logical tick, so the checker can order an ack
 * before a later leave without looking at any clock. Thread-safe (operations complete on engine
 * threads).
 */
final class History {
  enum Outcome {
    /** Not completed yet (at the end of a run: the outcome is unknown). */
    PENDING,
    OK,
    FAILED
  }

  /** One client operation. Mutable only by the harness while it completes. */
  static final class Op {
    final int id;
    final String kind;
    final String node;
    final @Nullable String user;
    final String room;
    /** The harness's count of successful creations of {@link #room} when the op was invoked. */
    final int incarnation;
    final String detail;
    final long invokedTick;
    volatile long completedTick = Long.MAX_VALUE;
    volatile Outcome outcome = Outcome.PENDING;
    volatile @Nullable ErrorCode code;
    volatile long epoch;
    volatile long seq;
    volatile boolean duplicate;
    volatile boolean recovered = true;
    volatile List<UserId> members = List.of();
    /** For history pages: the messages returned. */
    volatile List<ChatMessage> page = List.of();
    /** For sends: the text and client id; for retries, the op retried. */
    @Nullable String text;
    @Nullable String clientId;
    @Nullable Op retryOf;

    Op(int id, String kind, String node, @Nullable String user, String room, int incarnation, String detail, long tick) {
      this.id = id;
      this.kind = kind;
      this.node = node;
      this.user = user;
      this.room = room;
      this.incarnation = incarnation;
      this.detail = detail;
      this.invokedTick = tick;
    }

    /** A definite failure: not TIMEOUT or UNAVAILABLE, after which the effect may still happen. */
    boolean definitelyFailed() {
      return outcome == Outcome.FAILED && code != ErrorCode.TIMEOUT && code != ErrorCode.UNAVAILABLE;
    }

    @Override
    public String toString() {
      return "op#" + id + " " + kind + "(" + (user == null ? "" : user + "@") + node + ", " + room + "#" + incarnation
          + (detail.isEmpty() ? "" : ", " + detail) + ") -> " + outcome + (code == null ? "" : " " + code)
          + (outcome == Outcome.OK && seq > 0 ? " (" + epoch + "," + seq + ")" : "");
    }
  }

  /** One member session: a user joined through one node, with the events its listener got. */
  static final class Session implements RoomListener {
    final Op join;
    final JoinOptions options;
    /** The position the client resumed from came from this incarnation (for RESUME, else -1). */
    final int resumedFromIncarnation;
    final List<RoomEvent> events = new CopyOnWriteArrayList<>();
    final List<Long> eventTicks = new CopyOnWriteArrayList<>();
    private final History history;
    /** Tick at which the client or the harness ended it (leave invoked, node crashed); MAX if never. */
    volatile long endedTick = Long.MAX_VALUE;
    volatile String endedBy = "";

    Session(History history, Op join, JoinOptions options, int resumedFromIncarnation) {
      this.history = history;
      this.join = join;
      this.options = options;
      this.resumedFromIncarnation = resumedFromIncarnation;
    }

    @Override
    public void onEvent(RoomEvent event) {
      if (history.frozen) {
        return; // the cluster is being shut down: not part of the run
      }
      eventTicks.add(history.tick());
      events.add(event);
    }

    void end(String why) {
      if (endedTick == Long.MAX_VALUE) {
        endedBy = why;
        endedTick = history.tick();
      }
    }

    boolean ended() {
      return endedTick != Long.MAX_VALUE;
    }

    /** {epoch, seq} of the highest sequenced event received (where a resume starts), or null if none. */
    long @Nullable [] lastPosition() {
      long[] last = null;
      for (RoomEvent e : events) {
        long[] p = Checker.position(e);
        if (p != null && (last == null || p[1] > last[1])) {
          last = p;
        }
      }
      return last;
    }

    @Override
    public String toString() {
      return "session of " + join.user + "@" + join.node + " in " + join.room + "#" + join.incarnation + " (join op#" + join.id + ")";
    }
  }

  /** A node's directory entry at the end: name, admin, and whether the admin serves it itself. */
  record DirectoryEntry(String node, String room, String admin, boolean available) {}

  final long seed;
  final String replay;
  /** With failover (rooms survive their admin): the acks setting; null without (a room dies with its admin). */
  io.chatmesh.Failover.@Nullable Acks failover;
  private final AtomicLong ticks = new AtomicLong();
  /** Set before the cluster is closed: what listeners and futures see after that is not recorded. */
  volatile boolean frozen;
  final List<Op> ops = new CopyOnWriteArrayList<>();
  final List<Session> sessions = new CopyOnWriteArrayList<>();
  final List<String> faults = new CopyOnWriteArrayList<>();
  /** Per node: ticks at which it crashed or was restarted. */
  final List<String> nodeEvents = new CopyOnWriteArrayList<>();
  final List<DirectoryEntry> finalDirectory = new ArrayList<>();
  /** Every node of the cluster at the end, also those whose directory is empty (none in {@link #finalDirectory}). */
  final List<String> finalNodes = new ArrayList<>();
  /** "room#label" for every label that began with a successful creation (a certainly new room). */
  final Set<String> definiteCreations = ConcurrentHashMap.newKeySet();
  /**
   * room -> seq -> epoch -> "join USER" or "leave USER": every JOINED, LEFT and NODE_FAILED entry any
   * node's store took (an admin stores what it sequences, a replica what it is sent), also those no
   * member received - such as the NODE_FAILED of a member adopted at a takeover whose node never
   * attached, sent to no node. The checker uses it only to tell a seq an ADMIN_ONLY failover reused
   * unseen (seed 4056).
   */
  final Map<String, Map<Long, Map<Long, String>>> storedMembership = new ConcurrentHashMap<>();
  /** Names every node lists at the end, per node, once the run healed and waited. */
  boolean directoryConverged = true;
  String directoryNote = "";

  History(long seed, String replay) {
    this.seed = seed;
    this.replay = replay;
  }

  /** A node's store took {@code entries} (see {@link #storedMembership}). */
  void stored(List<HistoryEntry> entries) {
    if (frozen) {
      return;
    }
    for (HistoryEntry e : entries) {
      String what = switch (e.kind()) {
        case JOINED -> "join " + e.user();
        case LEFT, NODE_FAILED -> "leave " + e.user();
        default -> null;
      };
      if (what != null) {
        storedMembership.computeIfAbsent(e.room(), r -> new ConcurrentHashMap<>())
            .computeIfAbsent(e.seq(), q -> new ConcurrentHashMap<>())
            .put(e.epoch(), what);
      }
    }
  }

  long tick() {
    return ticks.incrementAndGet();
  }

  Op invoke(String kind, String node, @Nullable String user, String room, int incarnation, String detail) {
    Op op = new Op(ops.size() + 1, kind, node, user, room, incarnation, detail, tick());
    ops.add(op);
    return op;
  }

  void fault(String what) {
    faults.add("tick " + tick() + ": " + what);
  }
}
