package io.chatmesh;

import org.jspecify.annotations.Nullable;

/**
 * A chat message as sequenced by the room's administrator: every member on every node sees the
 * same messages with the same {@code (epoch, seq)} in the same order. Immutable; thread-safe.
 *
 * @param room the room name
 * @param epoch the administrator epoch that sequenced it (bumped on failover)
 * @param seq the position in the room's log (joins and leaves take positions too)
 * @param user the sender
 * @param text the text, never blank
 * @param clientMessageId the sender's id for deduplicating retries, or null if none was given
 * @param timestamp milliseconds since the epoch on the administrator's clock when sequenced
 */
public record ChatMessage(
    String room, long epoch, long seq, UserId user, String text, @Nullable String clientMessageId, long timestamp)
    implements RoomEvent {}
