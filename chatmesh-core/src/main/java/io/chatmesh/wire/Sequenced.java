package io.chatmesh.wire;

import io.chatmesh.UserId;
import org.jspecify.annotations.Nullable;

/**
 * One entry of a room's log, broadcast by the admin to every node with members (and resent on
 * request). Receivers deliver entries strictly in {@code seq} order.
 *
 * @param room the room
 * @param epoch the admin epoch that assigned it
 * @param seq its position in the room's log, starting at 1
 * @param kind what happened
 * @param user who did it
 * @param text the text of a MESSAGE, empty otherwise
 * @param clientMessageId the sender's deduplication id of a MESSAGE, or null
 * @param timestamp admin clock millis when sequenced
 */
public record Sequenced(
    String room,
    long epoch,
    long seq,
    EventKind kind,
    UserId user,
    String text,
    @Nullable String clientMessageId,
    long timestamp)
    implements WireMessage {}
