package io.chatmesh.wire;

/**
 * A room's admin to one of its replicas during a planned move ({@code Room.moveTo}, {@code
 * ChatNode.drain}): the admin has stopped sequencing, every entry is on the replica, and the lease
 * is released; take the room over now.
 *
 * @param room the room name
 * @param epoch the epoch of the admin handing over
 */
public record Handover(String room, long epoch) implements WireMessage {}
