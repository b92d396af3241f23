package io.chatmesh.wire;

/** Periodic liveness signal; any message counts as a sign of life, this one is sent when idle. */
public record Heartbeat(long sentAtMillis) implements WireMessage {}
