package io.chatmesh.wire;

import io.chatmesh.NodeId;
import java.util.List;

/**
 * Sent to seeds and to newly learned peers to announce a node; answered with a Hello whose
 * {@code reply} is true. Peers learned from {@code peers} are greeted in turn (discovery by gossip).
 * The protocol version is not part of it: transports agree on one when a link opens (see {@link
 * WireMessage#PROTOCOL_VERSION}).
 *
 * @param address the address the sender listens on
 * @param reply true when this answers a Hello (so it is not answered again)
 * @param peers the live peers the sender knows, with their addresses
 */
public record Hello(String address, boolean reply, List<Peer> peers) implements WireMessage {
  /** Copies the list. */
  public Hello {
    peers = List.copyOf(peers);
  }

  /** A node and the address it listens on. */
  public record Peer(NodeId node, String address) {}
}
