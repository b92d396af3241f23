package io.chatmesh.wire;

/**
 * Periodic hint from the admin to member nodes: the last seq assigned, so a node that lost the
 * tail of the log (nothing after it to reveal the gap) asks for a resend.
 */
public record RoomTail(String room, long epoch, long lastSeq) implements WireMessage {}
