package io.chatmesh;

/**
 * Something that happened in a room, delivered to a member's {@link RoomListener}. Sequenced
 * events ({@link ChatMessage}, {@link MemberJoined}, {@link MemberLeft}) arrive strictly in
 * {@code seq} order, identical on every node; the others report the room's state. Immutable
 * values; thread-safe.
 */
public sealed interface RoomEvent
    permits ChatMessage,
        RoomEvent.MemberJoined,
        RoomEvent.MemberLeft,
        RoomEvent.MessagesLost,
        RoomEvent.RoomUnavailable,
        RoomEvent.RoomAvailable,
        RoomEvent.RoomDeleted {

  /**
   * The room this event belongs to.
   *
   * @return the room name
   */
  String room();

  /** A user joined; sequenced in the room's log at {@code seq}. */
  record MemberJoined(String room, long epoch, long seq, UserId user, long timestamp) implements RoomEvent {}

  /** Why a member left. */
  enum LeaveReason {
    /** The user asked to leave. */
    LEFT,
    /** The node the user was connected through was declared dead. */
    NODE_FAILED,
    /**
     * The administrator removed the user while this node could not reach it (for example during a
     * network partition); the user may join again.
     */
    REMOVED
  }

  /** A user left; sequenced at {@code seq} (0 for a {@link LeaveReason#REMOVED} found on resync). */
  record MemberLeft(String room, long epoch, long seq, UserId user, LeaveReason reason, long timestamp)
      implements RoomEvent {}

  /**
   * Messages {@code fromSeq..toSeq} (inclusive) could not be recovered from the administrator (its
   * resend buffer no longer had them). Reported instead of skipping silently.
   *
   * <p>With {@link Failover.Acks#ADMIN_ONLY} it also reports entries this member already received
   * that were lost at failover (acknowledged by an admin that died before its replicas held them):
   * then {@code fromSeq} is at or below the last seq the member got, {@code epoch} is the new
   * admin's, and the room's entries from {@code fromSeq} on follow, at those same seqs, each with the
   * epoch that sequenced it, usually newer than the entry received before at that seq (see {@link
   * Failover.Acks#ADMIN_ONLY}).
   */
  record MessagesLost(String room, long epoch, long fromSeq, long toSeq) implements RoomEvent {}

  /** The room's administrator node is down or unreachable; sends fail with UNAVAILABLE. */
  record RoomUnavailable(String room, String reason) implements RoomEvent {}

  /**
   * The room takes requests again: its administrator node is reachable again, or another node took
   * the room over (failover or a planned move); {@code admin} and {@code epoch} name the admin now.
   */
  record RoomAvailable(String room, NodeId admin, long epoch) implements RoomEvent {}

  /**
   * The room was deleted (two-phase commit committed), its state was lost (its admin restarted
   * without it), or it lost a split brain to another room of the same name (the reason names the
   * winning node; joining the name again reaches the winner's room). No more events follow.
   */
  record RoomDeleted(String room, String reason) implements RoomEvent {}
}
