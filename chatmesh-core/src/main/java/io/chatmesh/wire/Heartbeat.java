package io.chatmesh.wire;

/**
 * Periodic liveness signal; any message counts as a sign of life, this one is sent when idle. It
 * carries nothing (the sender's clock it once carried was never read).
 */
public record Heartbeat() implements WireMessage {}
