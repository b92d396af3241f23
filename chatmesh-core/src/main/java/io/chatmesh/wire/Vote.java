package io.chatmesh.wire;

/** A participant's answer to {@link Prepare}: READY ({@code ready}) or ABORT with a reason. */
public record Vote(String txId, boolean ready, String reason) implements WireMessage {}
