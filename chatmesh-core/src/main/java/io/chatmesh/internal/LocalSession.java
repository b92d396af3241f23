package io.chatmesh.internal;

import io.chatmesh.ChatMessage;
import io.chatmesh.JoinOptions;
import io.chatmesh.RoomEvent;
import io.chatmesh.RoomListener;
import io.chatmesh.wire.Sequenced;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A user joined to a room through this node (member role): its listener, what history it asked
 * for, whether it gets live events ({@link #active}), where they start once its join is answered
 * ({@link #startsAt}), the events kept while it is active only tentatively ({@link #early}), and
 * the live events held back while its join history is being fetched. {@link LocalSessions} decides
 * when a session starts and ends. Not thread-safe: used on the room's lane only.
 */
final class LocalSession {
  private static final Logger log = LoggerFactory.getLogger(LocalSession.class);

  final RoomListener listener;
  final JoinOptions options;
  /** Whether it gets live events: its start was delivered (or, tentatively, a JOINED of its user; see {@link #early}). */
  boolean active;
  /**
   * Where its live events start, once its join was answered (0 before): the session becomes
   * active when delivery reaches it, or on its own JOINED entry, whichever comes first.
   */
  long startsAt;
  /**
   * Non-null while the session is active only tentatively: a JOINED entry of its user was
   * delivered before its join was answered (its own, or an older session's); events kept here.
   */
  @Nullable List<RoomEvent> early;
  /** Non-null while the member's join history is being fetched: live events held back meanwhile. */
  @Nullable List<RoomEvent> held;
  /**
   * Leaves asked while its join is not answered yet (null once it is): sent only after the answer,
   * since a leave overtaking a resend of the join at the admin would be undone by that resend.
   */
  private @Nullable List<Runnable> leavesWaiting = new ArrayList<>();

  LocalSession(RoomListener listener, JoinOptions options) {
    this.listener = listener;
    this.options = options;
    this.held = options.mode() == JoinOptions.Mode.NONE ? null : new ArrayList<>();
  }

  /**
   * Runs {@code leave} once its join is answered (at once if it already is).
   *
   * @param leave sends the leave to the admin
   */
  void leaveAfterJoin(Runnable leave) {
    if (leavesWaiting == null) {
      leave.run();
    } else {
      leavesWaiting.add(leave);
    }
  }

  /** Whether its join has not been answered yet. */
  boolean joinUnanswered() {
    return leavesWaiting != null;
  }

  /** Its join was answered (or failed): the leaves asked meanwhile are sent now. */
  void joinAnswered() {
    List<Runnable> waiting = leavesWaiting;
    leavesWaiting = null;
    if (waiting != null) {
      waiting.forEach(Runnable::run);
    }
  }

  /** Calls the listener with {@code e}; a listener's exception is logged, never thrown. */
  void safeCall(String room, RoomEvent e) {
    try {
      listener.onEvent(e);
    } catch (RuntimeException ex) {
      log.warn("listener in room '{}' failed on {}", room, e, ex);
    }
  }

  /** The listener's view of a log entry; null for an ownership entry (no event for listeners). */
  static @Nullable RoomEvent toEvent(String room, Sequenced s) {
    return switch (s.kind()) {
      case SETTINGS, INVITED, UNINVITED -> null;
      case MESSAGE -> new ChatMessage(room, s.epoch(), s.seq(), s.user(), s.text(), s.clientMessageId(), s.timestamp());
      case JOINED -> new RoomEvent.MemberJoined(room, s.epoch(), s.seq(), s.user(), s.timestamp());
      case LEFT -> new RoomEvent.MemberLeft(room, s.epoch(), s.seq(), s.user(), RoomEvent.LeaveReason.LEFT, s.timestamp());
      case NODE_FAILED -> new RoomEvent.MemberLeft(room, s.epoch(), s.seq(), s.user(), RoomEvent.LeaveReason.NODE_FAILED, s.timestamp());
    };
  }
}
