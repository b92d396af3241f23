package io.chatmesh.wire;

import io.chatmesh.NodeId;
import java.util.List;

/**
 * A node announces the rooms it administers. Each node is the authority for its own rooms: when
 * {@code full} is true, {@code rooms} replaces everything the receiver knows about rooms whose
 * admin is the sender; otherwise it upserts {@code rooms} and drops {@code removed}.
 */
public record DirectoryUpdate(boolean full, List<Entry> rooms, List<String> removed) implements WireMessage {
  /** Copies the lists. */
  public DirectoryUpdate {
    rooms = List.copyOf(rooms);
    removed = List.copyOf(removed);
  }

  /** One room as announced by its administrator. */
  public record Entry(String room, NodeId admin, long epoch, int memberCount) {}
}
