package io.chatmesh.wire;

/**
 * The sender is leaving (clean shutdown) or refuses the receiver (e.g. incompatible protocol
 * version); the receiver treats the sender as down at once instead of waiting for the heartbeat
 * timeout, and logs {@code reason}.
 */
public record Goodbye(String reason) implements WireMessage {}
