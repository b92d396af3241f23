package io.chatmesh;

import java.util.List;

/**
 * A consistent snapshot of a room taken on its administrator. Immutable; thread-safe.
 *
 * @param name the room name
 * @param admin the administrator node
 * @param epoch the administrator epoch
 * @param lastSeq the last sequence number assigned (0 before the first event)
 * @param members current members, sorted
 */
public record RoomInfo(String name, NodeId admin, long epoch, long lastSeq, List<UserId> members) {
  /**
   * Copies the member list.
   *
   * @param name the room name
   * @param admin the administrator node
   * @param epoch the administrator epoch
   * @param lastSeq the last sequence number assigned (0 before the first event)
   * @param members current members, sorted
   */
  public RoomInfo {
    members = List.copyOf(members);
  }
}
