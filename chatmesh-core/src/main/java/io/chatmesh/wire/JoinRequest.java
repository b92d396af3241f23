package io.chatmesh.wire;

import io.chatmesh.UserId;

/** A member node asks the room's admin to join a user; answered by {@link Reply}. */
public record JoinRequest(long requestId, String room, UserId user) implements WireMessage {}
