package io.chatmesh.wire;

/** A member node asks the admin to resend log entries {@code fromSeq..toSeq} (inclusive). */
public record ResendRequest(String room, long fromSeq, long toSeq) implements WireMessage {}
