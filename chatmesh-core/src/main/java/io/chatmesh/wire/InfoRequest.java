package io.chatmesh.wire;

/** Asks the admin for a room snapshot; answered by {@link Reply} with members and last seq. */
public record InfoRequest(long requestId, String room) implements WireMessage {}
