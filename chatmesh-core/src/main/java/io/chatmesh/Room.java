package io.chatmesh;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * A handle to a room of the cluster, obtained from {@link ChatNode#createRoom} or
 * {@link ChatNode#room}. Operations go to the room's administrator node (directly when this node
 * is the admin, otherwise forwarded) and complete asynchronously; every remote wait has the node's
 * request timeout. Handles are cheap, immutable and thread-safe; a handle to a deleted room fails
 * its operations with {@link ErrorCode#UNKNOWN_ROOM}.
 *
 * <p>Futures complete exceptionally with {@link ChatException}; argument errors are reported the
 * same way (never thrown), so a caller has one error path.
 */
public interface Room {

  /**
   * The room's name, unique in the cluster.
   *
   * @return the name
   */
  String name();

  /**
   * The node that administers this room.
   *
   * @return the admin node's id
   */
  NodeId admin();

  /**
   * Joins a user connected through this node. The listener receives the user's own join event and
   * then every later sequenced event of the room, in order. Member events are per user: if the user
   * already is a member through another node (another device), no join event is sequenced; the
   * join is acked at the first seq this listener receives, and the user stays a member until it
   * has left through every node.
   *
   * @return the join's place in the log and the members; fails with ALREADY_MEMBER if the user
   *     already joined through this node, FORBIDDEN for a private room the user is not invited to,
   *     UNKNOWN_ROOM, UNAVAILABLE or TIMEOUT
   * @param user the user, connected through this node
   * @param listener receives the user's events, one at a time, in seq order
   */
  default CompletableFuture<Joined> join(UserId user, RoomListener listener) {
    return join(user, listener, JoinOptions.none());
  }

  /**
   * Joins a user connected through this node, first delivering the history {@code options} ask
   * for (see {@link JoinOptions}): the listener gets those stored entries, then its own join event,
   * then every later event, with no gap and no duplicate in between. The future completes after
   * the history was handed to the listener; {@link Joined#recovered()} says whether all of it
   * could be delivered.
   *
   * @return fails like {@link #join(UserId, RoomListener)}, and with BAD_REQUEST for null options
   * @param user the user, connected through this node
   * @param listener receives the history and then the user's events, one at a time, in seq order
   * @param options which history to deliver first
   */
  CompletableFuture<Joined> join(UserId user, RoomListener listener, JoinOptions options);

  /**
   * Removes a user who joined through this node; fails with NOT_MEMBER if it is not a member here.
   *
   * @param user the member to remove
   * @return completes when the leave is in the room's log
   */
  CompletableFuture<Void> leave(UserId user);

  /**
   * Sends a text; same as {@code send(user, text, null)}.
   *
   * @param user the sender, a member through this node
   * @param text the text, at most the node's {@code maxTextLength} characters
   * @return the message's place in the log
   */
  CompletableFuture<Sent> send(UserId user, String text);

  /**
   * Sends a text as {@code user}, who must have joined through this node. A retry with the same
   * non-null {@code clientMessageId} is sequenced once and returns the original {@code seq}.
   * Sends of one node to one room are sequenced in the order they were made, unless the network
   * loses a forwarded send (a link reset): its retry may then land after later sends.
   *
   * <p>Flow control: a node has at most 1,024 sends per room on their way to the admin; later ones
   * wait on this node, in order, and the admin holds sends while the link to one of the room's
   * member nodes is congested. So when senders outpace the slowest member node, the futures
   * complete later (latency) rather than messages being dropped. A caller that must not wait
   * unboundedly should bound its own outstanding sends; past 100,000 waiting sends per room on a
   * node (or held by the admin) the future fails with UNAVAILABLE, and nothing was sequenced.
   *
   * @return fails with BAD_REQUEST (blank text), TOO_LARGE, NOT_MEMBER, UNKNOWN_ROOM, UNAVAILABLE
   *     or TIMEOUT
   * @param user the sender, a member through this node
   * @param text the text, at most the node's {@code maxTextLength} characters
   * @param clientMessageId the sender's id for this message, so a retry is sequenced once; or null
   */
  CompletableFuture<Sent> send(UserId user, String text, @Nullable String clientMessageId);

  /**
   * Pages backwards through the room's stored chat messages: up to {@code limit} messages with seq
   * below {@code beforeSeq}, ascending (pass {@code Long.MAX_VALUE} for the newest; for the next
   * page pass the first returned message's seq). An empty list means there is nothing older (or it
   * was trimmed). Served by the administrator from its history store; anyone may call it (no
   * membership needed).
   *
   * @return fails with BAD_REQUEST (beforeSeq below 1, limit outside 1..1000), UNKNOWN_ROOM,
   *     UNAVAILABLE (admin unreachable, store failing) or TIMEOUT
   * @param beforeSeq return messages with a smaller seq
   * @param limit the most messages to return, 1 to 1000
   */
  CompletableFuture<List<ChatMessage>> history(long beforeSeq, int limit);

  /**
   * A consistent snapshot of the room from its administrator.
   *
   * @return the room's administrator, epoch, last seq and members
   */
  CompletableFuture<RoomInfo> info();

  /**
   * Deletes the room with a two-phase commit run by the administrator; only allowed on the admin
   * node (NOT_ADMIN otherwise). Completes when every node with members has committed; fails with
   * ABORTED if any of them voted ABORT or did not answer in time, in which case the room is intact
   * everywhere.
   *
   * @return completes when the room is deleted everywhere
   */
  CompletableFuture<Void> delete();

  /**
   * Deletes the room on behalf of {@code by}, who must be its owner (the user who created it with
   * {@link ChatNode#createRoom(String, UserId, boolean)}); otherwise like {@link #delete()}. Checked
   * by the administrator, so it holds whichever node a gateway runs on. A room created without an
   * owner cannot be deleted on behalf of any user (only by the application with {@link
   * #delete()}).
   *
   * @param by the user asking
   * @return fails with FORBIDDEN if {@code by} is not the owner, else as {@link #delete()}
   */
  CompletableFuture<Void> delete(UserId by);

  /**
   * Moves the room's administration to {@code node}, one of its live replicas, with no loss (a
   * planned migration; see {@link Failover}). Only on the admin node (NOT_ADMIN otherwise, naming
   * it). The admin stops taking writes (they fail UNAVAILABLE: retry with the same client message
   * id), waits until every entry is released and held by {@code node}, releases its lease and hands
   * the room over; members see {@link RoomEvent.RoomUnavailable} then {@link
   * RoomEvent.RoomAvailable} naming {@code node}.
   *
   * @param node the new admin; must be a live replica of the room
   * @return completes when this node sees {@code node} administer the room; fails BAD_REQUEST without
   *     failover or when {@code node} is not a live replica (the message lists them), NOT_ADMIN on
   *     another node than the admin, TIMEOUT when {@code node} did not catch up within twice the
   *     request timeout (the room stays) or did not take over in time after the handover (the room
   *     then fails over as after a crash)
   */
  default CompletableFuture<Void> moveTo(NodeId node) {
    return CompletableFuture.failedFuture(new ChatException(ErrorCode.BAD_REQUEST, "this Room does not support moveTo"));
  }

  /**
   * Invites {@code user} to the room on behalf of {@code by}, who must own it; an invited user may
   * join a private room. Recorded in the room's log (every node and a restarted admin agree).
   * Inviting someone already invited does nothing.
   *
   * @param by the owner
   * @param user the user to invite
   * @return fails with FORBIDDEN (not the owner), UNKNOWN_ROOM, UNAVAILABLE or TIMEOUT
   */
  CompletableFuture<Void> invite(UserId by, UserId user);

  /**
   * Withdraws {@code user}'s invitation on behalf of {@code by}, who must own the room. The user
   * can no longer join a private room; a current member is not removed.
   *
   * @param by the owner
   * @param user the user whose invitation ends
   * @return fails with FORBIDDEN (not the owner), UNKNOWN_ROOM, UNAVAILABLE or TIMEOUT
   */
  CompletableFuture<Void> uninvite(UserId by, UserId user);
}
