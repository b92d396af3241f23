package io.chatmesh.wire;

import io.chatmesh.UserId;

/**
 * A node forwards a user's message to the room's admin for sequencing; answered by {@link Reply}
 * with the assigned {@code (epoch, seq)}. Retries carry the same {@code clientMessageId}, which
 * the forwarding node generates when the user gave none, so a retry is sequenced once.
 */
public record SendRequest(long requestId, String room, UserId user, String clientMessageId, String text)
    implements WireMessage {}
