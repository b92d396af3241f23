package io.chatmesh.wire;

/**
 * A node taking a room over (it holds the room's lease) to one of the room's replicas: promise to
 * refuse every epoch older than {@code epoch} from now on, and send the entries held after {@code
 * afterSeq}. Answered by a {@link HistoryReply} whose {@code epoch} is the epoch of the replica's
 * newest entry, {@code lastSeq} its newest seq, {@code oldestSeq} the highest seq it knows to be
 * committed, and {@code entries} up to {@code limit} entries after {@code afterSeq}; or by a
 * NOT_ADMIN error when the replica has already promised a newer epoch (the message names it).
 *
 * @param requestId matches the reply
 * @param room the room name
 * @param epoch the taking-over node's new epoch
 * @param afterSeq entries after this seq are wanted
 * @param limit the most entries to return
 */
public record Collect(long requestId, String room, long epoch, long afterSeq, int limit) implements WireMessage {}
