package io.chatmesh;

/**
 * Acknowledgement of a sent message: its place in the room's log. Immutable; thread-safe.
 *
 * @param room the room name
 * @param epoch the administrator epoch
 * @param seq the sequence number assigned
 * @param duplicate true if this was a retry of an already sequenced client message id; {@code seq}
 *     is then the original one and the message was not delivered twice
 */
public record Sent(String room, long epoch, long seq, boolean duplicate) {}
