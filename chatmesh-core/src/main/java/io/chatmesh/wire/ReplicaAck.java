package io.chatmesh.wire;

/**
 * A replica's answer to {@link Replicate}: it holds every entry of the admin's log up to {@code
 * lastSeq}. When {@code promised} is higher than {@code epoch}, the replica refused the message: it
 * follows a newer admin, and the sender must stop sequencing the room.
 *
 * @param room the room name
 * @param epoch the epoch of the {@link Replicate} answered
 * @param lastSeq the highest seq the replica holds of the sender's log
 * @param promised the newest epoch the replica has promised to follow
 */
public record ReplicaAck(String room, long epoch, long lastSeq, long promised) implements WireMessage {}
