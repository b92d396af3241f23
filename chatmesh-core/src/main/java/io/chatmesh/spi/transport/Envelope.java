package io.chatmesh.spi.transport;

import io.chatmesh.NodeId;
import io.chatmesh.wire.WireMessage;
import java.util.Objects;

/**
 * One message between nodes: who sent it, which incarnation of that node (a restarted node gets a
 * new one), and the payload. Immutable; thread-safe.
 *
 * @param from the sending node
 * @param incarnation the sender's incarnation number, unique per start of a node
 * @param message the payload
 */
public record Envelope(NodeId from, long incarnation, WireMessage message) {
  /**
   * Checks that no component is null.
   *
   * @param from the sending node
   * @param incarnation the sender's incarnation number, unique per start of a node
   * @param message the payload
   */
  public Envelope {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(message, "message");
  }
}
