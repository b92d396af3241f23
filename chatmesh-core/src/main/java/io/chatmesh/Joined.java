package io.chatmesh;

import java.util.List;

/**
 * Result of joining a room. The member's listener receives every sequenced event from {@code seq}
 * (its own {@link RoomEvent.MemberJoined}) on. Immutable; thread-safe.
 *
 * @param room the room name
 * @param admin the administrator node
 * @param epoch the administrator epoch
 * @param seq the sequence number of the join event
 * @param members the members right after the join, sorted
 */
public record Joined(String room, NodeId admin, long epoch, long seq, List<UserId> members) {
  /** Copies the member list. */
  public Joined {
    members = List.copyOf(members);
  }
}
