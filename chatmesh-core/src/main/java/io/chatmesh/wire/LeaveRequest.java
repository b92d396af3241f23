package io.chatmesh.wire;

import io.chatmesh.UserId;

/** A member node asks the room's admin to remove a user; answered by {@link Reply}. */
public record LeaveRequest(long requestId, String room, UserId user) implements WireMessage {}
