package io.chatmesh.wire;

import io.chatmesh.NodeId;
import java.util.List;

/**
 * Phase one of a two-phase commit: the coordinator asks a participant to vote.
 *
 * @param txId unique transaction id (coordinator node id + counter)
 * @param kind what the transaction does
 * @param room the room (name) it concerns
 * @param replicas for a name reservation with failover: the new room's replica set (the coordinator
 *     first), whose members become the room's replicas when it commits; empty otherwise (and from
 *     an older coordinator)
 */
public record Prepare(String txId, TxKind kind, String room, List<NodeId> replicas) implements WireMessage {
  /** Copies the list. */
  public Prepare {
    replicas = List.copyOf(replicas);
  }

  /**
   * A prepare carrying no replica set.
   *
   * @param txId unique transaction id (coordinator node id + counter)
   * @param kind what the transaction does
   * @param room the room (name) it concerns
   */
  public Prepare(String txId, TxKind kind, String room) {
    this(txId, kind, room, List.of());
  }
}
