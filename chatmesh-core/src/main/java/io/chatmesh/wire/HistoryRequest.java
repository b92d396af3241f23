package io.chatmesh.wire;

/**
 * A node asks a room's admin for stored log entries with {@code afterSeq < seq < beforeSeq};
 * answered by {@link HistoryReply}. Used for history on join (entries between the member's last
 * seen seq and its join), resume, and paging backwards through a room's messages. Reads are
 * idempotent, so the request may be resent with the same id.
 *
 * @param requestId the request's id
 * @param room the room
 * @param afterSeq entries must have a greater seq (0 = from the start)
 * @param beforeSeq entries must have a smaller seq ({@code Long.MAX_VALUE} = up to the newest)
 * @param limit most entries to return, 1..{@link #MAX_LIMIT}
 * @param newest true: the newest {@code limit} entries of the range (paging backwards); false: the
 *     oldest (reading forwards)
 * @param messagesOnly true: only {@link EventKind#MESSAGE} entries count and are returned (joins and
 *     leaves are skipped); false: every entry
 */
public record HistoryRequest(
    long requestId, String room, long afterSeq, long beforeSeq, int limit, boolean newest, boolean messagesOnly)
    implements WireMessage {
  /** Most entries one request may ask for. */
  public static final int MAX_LIMIT = 1000;
}
