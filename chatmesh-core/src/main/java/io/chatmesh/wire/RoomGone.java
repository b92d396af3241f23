package io.chatmesh.wire;

/** The sender does not administer {@code room} (any more); the receiver drops it. */
public record RoomGone(String room, String reason) implements WireMessage {}
