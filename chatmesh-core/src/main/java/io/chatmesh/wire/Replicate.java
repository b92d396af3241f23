package io.chatmesh.wire;

import io.chatmesh.NodeId;
import java.util.List;

/**
 * A room's admin to one of the room's replicas: hold {@code entries} (contiguous, ascending; may be
 * empty, then it only says the admin is alive and how far the log is committed). A replica refuses
 * it when it has promised a newer epoch (answering {@link ReplicaAck} with that epoch), so a stale
 * admin learns it was replaced. Sent with every new entry and, as a heartbeat, every few heartbeats.
 *
 * @param room the room name
 * @param epoch the admin's epoch
 * @param replicas the room's replica set, the admin included
 * @param committed the highest seq held by a majority of the replica set (or by the shared store)
 * @param epochStart the last seq of the log this admin started from (created: 0; took over: the
 *     adopted tail's end); a replica counts its log as this epoch's only once it holds that much
 * @param entries the entries to hold, ascending and contiguous; may be empty
 */
public record Replicate(String room, long epoch, List<NodeId> replicas, long committed, long epochStart, List<Sequenced> entries)
    implements WireMessage {
  /** Copies the lists. */
  public Replicate {
    replicas = List.copyOf(replicas);
    entries = List.copyOf(entries);
  }
}
