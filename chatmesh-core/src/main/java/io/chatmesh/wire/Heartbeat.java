package io.chatmesh.wire;

/**
 * Periodic liveness signal; any message counts as a sign of life, this one is sent when idle.
 *
 * @param draining whether the sender is draining ({@link io.chatmesh.ChatNode#drain}): it is about
 *     to stop, so no room should be moved to it; once true, true for the rest of that incarnation
 */
public record Heartbeat(boolean draining) implements WireMessage {
  /** A heartbeat of a node that is not draining. */
  public Heartbeat() {
    this(false);
  }
}
