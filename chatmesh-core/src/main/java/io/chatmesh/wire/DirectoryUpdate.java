package io.chatmesh.wire;

import io.chatmesh.NodeId;
import java.util.List;

/**
 * A node announces the rooms it administers. Each node is the authority for its own rooms: when
 * {@code full} is true, {@code rooms} replaces everything the receiver knows about rooms whose
 * admin is the sender; otherwise it upserts {@code rooms} and drops {@code removed}.
 *
 * @param version increases with every update a node sends (per incarnation); a receiver ignores a
 *     full update older than one it already applied, so a reordered stale snapshot cannot undo a
 *     newer change
 * @param full whether {@code rooms} is the sender's complete list
 * @param rooms rooms to add or update
 * @param removed rooms the sender no longer administers
 */
public record DirectoryUpdate(long version, boolean full, List<Entry> rooms, List<String> removed)
    implements WireMessage {
  /** Copies the lists. */
  public DirectoryUpdate {
    rooms = List.copyOf(rooms);
    removed = List.copyOf(removed);
  }

  /** One room as announced by its administrator. */
  public record Entry(String room, NodeId admin, long epoch, int memberCount) {}
}
