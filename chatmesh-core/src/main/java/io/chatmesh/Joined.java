package io.chatmesh;

import java.util.List;

/**
 * Result of joining a room. The member's listener receives the history asked for with {@link
 * JoinOptions} (if any), then every sequenced event from {@code seq} (its own {@link
 * RoomEvent.MemberJoined}) on. For a user who already was a member through another node there is
 * no join event of its own: {@code seq} is the first seq this listener receives. Immutable;
 * thread-safe.
 *
 * @param room the room name
 * @param admin the administrator node
 * @param epoch the administrator epoch
 * @param seq the sequence number of the join event (for a user already a member through another
 *     node: the first seq delivered to this listener)
 * @param members the members right after the join, sorted
 * @param recovered true when all history asked for was delivered (always true for {@link
 *     JoinOptions#none()}); false when some of it was trimmed, exceeded {@link
 *     JoinOptions#MAX_ENTRIES}, could not be fetched, or a resume named an entry not in the room's log. The missing
 *     seqs were reported to the listener as {@link RoomEvent.MessagesLost} (like Centrifugo's
 *     {@code recovered} flag: a client seeing false should reload what it shows)
 */
public record Joined(String room, NodeId admin, long epoch, long seq, List<UserId> members, boolean recovered) {
  /**
   * Copies the member list.
   *
   * @param room the room name
   * @param admin the administrator node
   * @param epoch the administrator epoch
   * @param seq the sequence number of the join event
   * @param members the members right after the join, sorted
   * @param recovered true when all history asked for was delivered (always true for {@link
   *     JoinOptions#none()}); false when some of it was trimmed, exceeded {@link
   *     JoinOptions#MAX_ENTRIES}, could not be fetched, or a resume named an entry not in the room's log. The
   *     missing seqs were reported to the listener as {@link RoomEvent.MessagesLost} (like
   *     Centrifugo's {@code recovered} flag: a client seeing false should reload what it shows)
   */
  public Joined {
    members = List.copyOf(members);
  }

  /**
   * A join without history ({@code recovered} is true).
   *
   * @param room the room name
   * @param admin the room's administrator
   * @param epoch the admin epoch
   * @param seq the seq of the join event
   * @param members the room's members after the join
   */
  public Joined(String room, NodeId admin, long epoch, long seq, List<UserId> members) {
    this(room, admin, epoch, seq, members, true);
  }
}
