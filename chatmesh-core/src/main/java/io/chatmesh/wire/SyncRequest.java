package io.chatmesh.wire;

import io.chatmesh.UserId;
import java.util.List;

/**
 * After the admin became reachable again, a member node checks which of its local users are still
 * members; the {@link Reply} lists those that are. The admin re-adds the node to the room's
 * broadcast set if any are.
 */
public record SyncRequest(long requestId, String room, List<UserId> users) implements WireMessage {
  /** Copies the list. */
  public SyncRequest {
    users = List.copyOf(users);
  }
}
