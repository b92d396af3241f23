package io.chatmesh.wire;

import io.chatmesh.UserId;

/**
 * A member node asks the room's admin to invite {@code user} to the room (or, with {@code invite}
 * false, to withdraw the invitation) on behalf of {@code by}, who must own the room; answered by
 * {@link Reply}.
 *
 * @param requestId matches the reply
 * @param room the room name
 * @param by the user asking, connected through the sender
 * @param user the user invited or uninvited
 * @param invite true to invite, false to withdraw
 */
public record InviteRequest(long requestId, String room, UserId by, UserId user, boolean invite) implements WireMessage {}
