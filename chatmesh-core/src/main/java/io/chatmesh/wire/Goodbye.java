package io.chatmesh.wire;

/**
 * The sender is leaving (clean shutdown) or refuses the receiver; the receiver treats the sender as
 * down at once instead of waiting for the heartbeat timeout, and logs {@code reason}. (Incompatible
 * protocol versions never get this far: the transport refuses the link.)
 */
public record Goodbye(String reason) implements WireMessage {}
