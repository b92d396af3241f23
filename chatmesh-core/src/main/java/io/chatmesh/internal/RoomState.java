package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ChatMessage;
import io.chatmesh.ErrorCode;
import io.chatmesh.JoinOptions;
import io.chatmesh.Joined;
import io.chatmesh.NodeId;
import io.chatmesh.RoomEvent;
import io.chatmesh.RoomInfo;
import io.chatmesh.RoomListener;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.twopc.TwoPhaseCommit.Transaction;
import io.chatmesh.twopc.TwoPhaseCommit.Vote;
import io.chatmesh.wire.Collect;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.Handover;
import io.chatmesh.wire.HistoryReply;
import io.chatmesh.wire.ReplicaAck;
import io.chatmesh.wire.Replicate;
import io.chatmesh.wire.HistoryRequest;
import io.chatmesh.wire.Lost;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.ResendRequest;
import io.chatmesh.wire.RoomGone;
import io.chatmesh.wire.RoomTail;
import io.chatmesh.wire.SendRequest;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.SyncRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One room on this node, as an actor: everything it knows about the room is touched only on the
 * room's {@link #lane}. It holds its roles and swaps them on transitions, as Raft implementations
 * swap leader and follower state:
 *
 * <ul>
 *   <li>an {@link AdminRole} while this node administers the room: installed by {@link #becomeAdmin}
 *       (a new room), {@link #restoreAdmin} (after a restart) or {@link #tookOver} (failover),
 *       dropped by {@link #stepDown} (lease lost, newer admin, planned move) or {@link #abandon}
 *       (a lost split brain). It sequences the room's log; see its pieces {@link SendHold}, {@link
 *       AppendPipeline} (an entry is broadcast and acknowledged only once it is in the history store
 *       and, with failover, on a majority of the replicas: {@link Replication}) and {@link
 *       ResendBuffer}.
 *   <li>a {@link MemberRole}, always there (empty while no user joined through this node): the
 *       local users, in-order delivery of the admin's entries, and requests to the admin.
 *   <li>with failover, a {@link ReplicaRole} (this node's copy of the log and its promise), kept by
 *       the {@link Succession} together with the room's lease and a {@link Takeover} in progress;
 *       and a {@link PlannedMove} while this node hands the room to another.
 * </ul>
 *
 * <p>What belongs to the room rather than to a role stays here: its identity ({@link #name}, and the
 * {@link #admin} and {@link #epoch} as this node knows them, which change on failover), the deletion
 * (two-phase commit participant) and the room's end. The methods called by the engine keep their
 * names ({@code adminX} for the admin role, {@code memberX} for the member role) and pass the call
 * to the role.
 */
final class RoomState {
  private static final Logger log = LoggerFactory.getLogger(RoomState.class);
  /**
   * Flow control, member side: a node forwards at most this many sends per room to the admin at a
   * time, and none while the transport reports the link to the admin as congested; later sends
   * wait in order and go out as answers come back (or the link drains), so a burst becomes latency
   * at the sender instead of an overflowing link (see {@link ForwardWindow}).
   */
  static final int MAX_SENDS_IN_FLIGHT = 1_024;
  /** Sends that may wait for the window per room and node before {@code send} fails UNAVAILABLE. */
  static final int MAX_WAITING_SENDS = 100_000;
  /**
   * Flow control, admin side: sends held while a member node's link is congested, per room,
   * before further sends are refused UNAVAILABLE (see {@link SendHold}).
   */
  static final int MAX_HELD_SENDS = 100_000;
  /** How often held and waiting sends re-check whether the links take traffic again. */
  private static final Duration HOLD_RECHECK = Duration.ofMillis(1);

  final NodeEngine engine;
  final String name;
  /** The room's admin as this node knows it; changes on failover (written on the lane). */
  volatile NodeId admin;
  /** The admin's epoch as this node knows it; changes on failover (written on the lane). */
  volatile long epoch;
  final SerialExecutor lane;

  private @Nullable AdminRole adminRole;
  private final MemberRole member;
  /** With failover: the lease, this node's copy of the log, a takeover (nothing without failover). */
  final Succession succession;
  /** A planned move of the room this node administers. */
  private final PlannedMove move;
  /** Completes once this node administers the room after creating it (with failover: holds its lease). */
  final CompletableFuture<Void> adminReady = new CompletableFuture<>();
  private @Nullable String preparedDelete;
  private boolean deleted;
  /** Users joined through this node, for {@link NodeEngine#metrics()} (read off the lane). */
  volatile int localCount;

  RoomState(NodeEngine engine, String name, NodeId admin, long epoch, SerialExecutor lane) {
    this.engine = engine;
    this.name = name;
    this.admin = admin;
    this.epoch = epoch;
    this.lane = lane;
    this.member = new MemberRole(this);
    this.succession = new Succession(this);
    this.move = new PlannedMove(this);
  }

  // ================================================================ roles and transitions

  boolean isAdmin() {
    return adminRole != null;
  }

  /** The admin role while this node administers the room, else null. */
  @Nullable AdminRole adminRole() {
    return adminRole;
  }

  boolean deleted() {
    return deleted;
  }

  /** Whether this node voted READY on the room's deletion, which is not decided yet. */
  boolean deletionPrepared() {
    return preparedDelete != null;
  }

  /**
   * Makes this node the admin of a newly created room and records it in the history store. With
   * failover it first takes the room's lease ({@link Succession}), with the replica set its name
   * reservation carried (or, when it carried none, one picked among the live nodes now);
   * {@link #adminReady} completes once it administers the room.
   */
  void becomeAdmin() {
    lane.assertCurrent();
    if (adminRole != null || deleted) {
      return;
    }
    if (!failover()) {
      becameAdmin(AdminRole.created(this, null));
      return;
    }
    List<NodeId> set = creationSet != null ? creationSet
        : Replication.choose(name, engine.self, engine.liveNodesAndSelf(), engine.settings.failover().replicationFactor());
    succession.acquireForCreation(set, engine.clock.millis() + 2 * engine.settings.failover().leaseDuration().toMillis());
  }

  /**
   * With failover: the replica set this node's name reservation of the room carried (its other
   * nodes are the room's replicas since the commit: {@link #createdAsReplica}); null when it
   * carried none.
   */
  private @Nullable List<NodeId> creationSet;

  /**
   * This node's name reservation of the room committed with {@code creationEpoch}: it becomes the
   * new room's admin ({@link #becomeAdmin}). A state left here by an earlier room of the name (this
   * node administered it before a restart and missed its deletion, its take-back still pending)
   * becomes the new room's first: its take-back ends ({@link Succession#acquireForCreation}), its
   * stored copy of the deleted room's log is deleted before the new room is recorded, and it takes
   * the creation's admin and epoch. Before, the take-back went on under the creation, found the name
   * retired at the lease backend and ended the new room here, its creation never answered
   * (seed 2689's NEVER_COMPLETED).
   */
  void createdHere(long creationEpoch, List<NodeId> replicas) {
    lane.assertCurrent();
    if (!replicas.isEmpty() && replicas.contains(engine.self)) {
      creationSet = replicas;
    }
    if (adminRole == null && !deleted && creationEpoch > epoch) {
      log.info("{}: room '{}' is created again here at epoch {}; drops what it kept of the earlier room (admin {}, epoch {})",
          engine.self, name, creationEpoch, admin, epoch);
      if (succession.holdsAnything() && !engine.history.shared()) {
        engine.writeStore("delete the replica of the earlier room '" + name + "'", () -> engine.history.deleteRoom(name));
      }
      admin = engine.self;
      epoch = creationEpoch;
    }
    becomeAdmin();
  }

  /**
   * With failover: a name reservation of the room by {@code creator} committed at {@code
   * creationEpoch}, and its replica set {@code replicas} includes this node. This node is the room's
   * replica from now on, with an empty log, as if it had received the creator's first (empty) {@link
   * Replicate} ({@link ReplicaRole#createdAsReplica}): when the creator's lease lapses before any
   * Replicate arrived here, a live replica takes the room over, and the replicas answer its Collect
   * with their (genuinely empty) log. Before, they knew nothing of the room and refused, and the
   * room stayed listed unavailable under a creator restarted without its disk (ADMIN_ONLY seeds 359,
   * 597). Nothing changes when this node already follows the room at that epoch or a newer one.
   */
  void createdAsReplica(NodeId creator, long creationEpoch, List<NodeId> replicas) {
    lane.assertCurrent();
    if (deleted || adminRole != null || epoch > creationEpoch) {
      return;
    }
    if (replica().createdAsReplica(creator, creationEpoch, replicas) && (!creator.equals(admin) || creationEpoch > epoch)) {
      adminChanged(creator, creationEpoch);
    }
  }

  /** This node administers the room from now on with {@code a} (created, or after a takeover). */
  void becameAdmin(AdminRole a) {
    adminRole = a;
    adminReady.complete(null);
  }

  boolean failover() {
    return engine.settings.failover() != null;
  }

  /** Whether this node may sequence now: without failover always; with it, while its lease is valid. */
  boolean maySequence() {
    return succession.maySequence();
  }

  /** This node's replica role (created on first use; only with failover). */
  ReplicaRole replica() {
    return succession.replica();
  }

  // ================================================================ failover (see Succession)

  /** A {@link Replicate} from {@code from}: follow it unless a newer epoch is known. */
  void onReplicate(NodeId from, Replicate r) {
    lane.assertCurrent();
    if (deleted) {
      return;
    }
    boolean follows = succession.onReplicate(from, r);
    if (follows && adminRole == null && (!from.equals(admin) || r.epoch() > epoch)) {
      adminChanged(from, r.epoch());
    }
  }

  /** A {@link Collect} from a node taking the room over. */
  void onCollect(NodeId from, Collect c) {
    lane.assertCurrent();
    if (deleted) {
      engine.send(from, HistoryReply.error(c.requestId(), ErrorCode.UNKNOWN_ROOM, unknownRoom().getMessage()));
      return;
    }
    succession.onCollect(from, c);
  }

  /** A planned move's {@link Handover}: take the room over now. */
  void onHandover(NodeId from, Handover h) {
    lane.assertCurrent();
    succession.onHandover(from, h);
  }

  void onReplicaAck(NodeId from, ReplicaAck a) {
    lane.assertCurrent();
    AdminRole ar = adminRole;
    if (ar != null) {
      ar.onReplicaAck(from, a);
    }
  }

  /**
   * Every other heartbeat: see {@link Succession#checkTakeover}; not while this node hands the room
   * over ({@link PlannedMove#pending}): it released the lease for the target, which takes it on the
   * Handover, and taking it back would fail the move.
   */
  void checkTakeover() {
    lane.assertCurrent();
    if (move.pending()) {
      return;
    }
    succession.checkTakeover();
  }

  /**
   * This node stops administering the room (its lease lapsed, a newer epoch exists, or it moves):
   * requests waiting for it fail UNAVAILABLE (retry: the next admin deduplicates by client message
   * id), its log stays as a replica's, and local users are told the room is unavailable until the
   * next admin announces itself.
   */
  void stepDown(String why) {
    lane.assertCurrent();
    AdminRole a = adminRole;
    if (a == null) {
      return;
    }
    log.warn("{}: steps down as admin of room '{}': {}", engine.self, name, why);
    adminRole = null;
    a.stepDown(why);
    succession.steppedDown(a, epoch);
    engine.directory.steppedDown(name, epoch);
    member.onAdminDown(why);
  }

  /** The room's admin is now {@code newAdmin} at {@code newEpoch} (a failover or a move). */
  void adminChanged(NodeId newAdmin, long newEpoch) {
    lane.assertCurrent();
    if (deleted || newEpoch < epoch || (newEpoch == epoch && newAdmin.equals(admin))) {
      return;
    }
    move.adminChanged(newAdmin);
    if (adminRole != null && !newAdmin.equals(engine.self)) {
      stepDown("node " + newAdmin + " administers room '" + name + "' at epoch " + newEpoch);
    }
    NodeId was = admin;
    admin = newAdmin;
    epoch = newEpoch;
    log.info("{}: room '{}' is administered by {} at epoch {} (was {})", engine.self, name, newAdmin, newEpoch, was);
    member.adminChanged(was);
  }

  /** A takeover succeeded: this node administers the room at {@code newEpoch}, continuing {@code stored}. */
  void tookOver(long newEpoch, long committed, HistoryEntries.StoredLog stored, List<NodeId> replicas) {
    NodeId was = admin;
    admin = engine.self;
    epoch = newEpoch;
    AdminRole a = AdminRole.restored(this, stored.last(), Math.min(committed, stored.last()), stored.recent(), stored.settings(), replicas);
    becameAdmin(a);
    a.adoptMembers(stored.members(), stored.last());
    log.warn("{}: took room '{}' over from {} at epoch {} (log continues after seq {})", engine.self, name, was, newEpoch, stored.last());
    engine.metrics.failovers.increment();
    engine.directory.tookOver(name, newEpoch);
    member.adminChanged(was);
  }

  /** Starts taking the room over (after a restart with a durable store). */
  void startTakeover() {
    succession.startTakeover();
  }

  // ================================================================ planned moves (see PlannedMove)

  /** Room.moveTo: hands the room to {@code target}, a live replica, with no loss. */
  void moveTo(NodeId target, CompletableFuture<Void> out) {
    lane.assertCurrent();
    move.moveTo(target, out);
  }

  /** ChatNode.drain: moves this room to its most caught-up live replica; completes when moved. */
  void drain(CompletableFuture<Void> out) {
    lane.assertCurrent();
    move.drain(out);
  }

  /**
   * Restores the admin role after a restart from the stored log: sequencing continues after
   * {@code lastSeq} (a seq is never reused), and the client message ids of {@code recent} entries
   * (ascending) seed the deduplication window, so a retry of a message acked before the restart is
   * still sequenced once. Members are not restored: they were connected to the old process; each
   * user of {@code formerMembers} (members by the stored log) gets a NODE_FAILED entry, so the log
   * ends their membership before any new join (their nodes tell them REMOVED when they resync).
   */
  void restoreAdmin(long lastSeq, List<Sequenced> recent, List<UserId> formerMembers, List<Sequenced> settings) {
    lane.assertCurrent();
    AdminRole a = AdminRole.restored(this, lastSeq, lastSeq, recent, settings, null);
    adminRole = a;
    a.endFormerMembers(lastSeq, formerMembers);
  }

  /** The admin role, which the caller's route guarantees (else the call is a bug). */
  private AdminRole requireAdmin() {
    AdminRole a = adminRole;
    if (a == null) {
      throw new IllegalStateException("node " + engine.self + " does not administer room " + name);
    }
    return a;
  }

  /** Whether an entry of this kind changes the room's ownership settings (and is no room event). */
  static boolean isSettings(EventKind kind) {
    return Ownership.isSettings(kind);
  }

  // ================================================================ member API (RoomHandle)

  void join(UserId user, RoomListener listener, JoinOptions options, CompletableFuture<Joined> out) {
    member.join(user, listener, options, out);
  }

  void leave(UserId user, CompletableFuture<Void> out) {
    member.leave(user, out);
  }

  void send(UserId user, String text, @Nullable String clientMessageId, CompletableFuture<Sent> out) {
    member.send(user, text, clientMessageId, out);
  }

  /** Room.history: the newest {@code limit} chat messages before {@code beforeSeq}, from the admin. */
  void history(long beforeSeq, int limit, CompletableFuture<List<ChatMessage>> out) {
    member.history(beforeSeq, limit, out);
  }

  void info(CompletableFuture<RoomInfo> out) {
    member.info(out);
  }

  /** Invites or uninvites {@code user} on behalf of {@code by}: asks the admin (or is it). */
  void invite(UserId by, UserId user, boolean invite, CompletableFuture<Void> out) {
    member.invite(by, user, invite, out);
  }

  /** Deletes the room on behalf of {@code by} (null: the node itself); only on its admin node. */
  void delete(@Nullable UserId by, CompletableFuture<Void> out) {
    lane.assertCurrent();
    if (deleted) {
      out.completeExceptionally(unknownRoom());
      return;
    }
    AdminRole a = adminRole;
    if (a == null) {
      out.completeExceptionally(
          new ChatException(
              ErrorCode.NOT_ADMIN,
              "room '" + name + "' is administered by node " + admin + "; only that node can delete it, not " + engine.self));
      return;
    }
    a.delete(by, out);
  }

  // ================================================================ admin role (routes, engine)

  /**
   * Records the room's creator as its owner, and whether the room is private, as the room's first
   * entry (right after the creation committed); {@code done} completes once durable.
   */
  void adminInitSettings(UserId creator, boolean isPrivate, CompletableFuture<Void> done) {
    lane.assertCurrent();
    becomeAdmin();
    requireAdmin().adminInitSettings(creator, isPrivate, done);
  }

  /** Invites or uninvites {@code user} on behalf of {@code by}, who must own the room. */
  void adminInvite(UserId by, UserId user, boolean invite, long requestId, Consumer<Reply> reply) {
    lane.assertCurrent();
    requireAdmin().adminInvite(by, user, invite, requestId, reply);
  }

  void adminJoin(NodeId from, UserId user, long requestId, Consumer<Reply> reply) {
    lane.assertCurrent();
    requireAdmin().adminJoin(from, user, requestId, reply);
  }

  void adminLeave(NodeId from, UserId user, long requestId, Consumer<Reply> reply) {
    lane.assertCurrent();
    requireAdmin().adminLeave(from, user, requestId, reply);
  }

  /** A chat message to sequence (held while a member node's link is congested: {@link SendHold}). */
  void adminSend(NodeId from, SendRequest r, Consumer<Reply> reply) {
    lane.assertCurrent();
    requireAdmin().adminSend(from, r, reply);
  }

  /** Serves a history read off the lane (the store may block), bounded by the durable seq. */
  void adminHistory(NodeId from, HistoryRequest r) {
    lane.assertCurrent();
    requireAdmin().adminHistory(from, r);
  }

  Reply adminInfo(long requestId) {
    return requireAdmin().adminInfo(requestId);
  }

  Reply adminSync(NodeId from, SyncRequest r) {
    return requireAdmin().adminSync(from, r);
  }

  void adminResend(NodeId from, ResendRequest r) {
    lane.assertCurrent();
    requireAdmin().adminResend(from, r);
  }

  void adminTail() {
    lane.assertCurrent();
    AdminRole a = adminRole;
    if (a != null) {
      a.adminTail();
    }
  }

  // ================================================================ member role (routes)

  void memberDeliver(Sequenced s) {
    lane.assertCurrent();
    member.memberDeliver(s);
  }

  void memberTail(NodeId from, RoomTail t) {
    lane.assertCurrent();
    member.memberTail(from, t);
  }

  /** Every few heartbeats (the node lane posts it): see {@link MemberRole#checkAdminSilence}. */
  void checkAdminSilence() {
    lane.assertCurrent();
    if (adminRole == null && !deleted) {
      member.checkAdminSilence();
    }
  }

  void memberLost(Lost l) {
    lane.assertCurrent();
    member.memberLost(l);
  }

  /** The admin says the room does not exist there (deleted, or the admin restarted). */
  void memberGone(NodeId from, String reason) {
    lane.assertCurrent();
    if (!from.equals(admin) || deleted || adminRole != null) {
      return;
    }
    finish(new RoomEvent.RoomDeleted(name, reason));
  }

  // ================================================================ failures

  void onNodeDown(NodeId node, String reason) {
    lane.assertCurrent();
    AdminRole a = adminRole;
    if (a != null) {
      a.onNodeDown(node);
    } else if (node.equals(admin)) {
      member.onAdminDown(reason);
      checkTakeover();
    }
  }

  void onNodeUp(NodeId node) {
    lane.assertCurrent();
    AdminRole a = adminRole;
    if (a != null) {
      a.onNodeUp(node);
    } else if (node.equals(admin)) {
      member.onAdminUp();
    }
  }

  // ================================================================ deletion (2PC participant) and the room's end

  Vote prepareDelete(Transaction tx) {
    lane.assertCurrent();
    String busy = member.busy();
    if (busy == null && adminRole != null) {
      busy = adminRole.busy();
    }
    if (busy != null) {
      return Vote.abort(ErrorCode.ABORTED, busy);
    }
    if (preparedDelete != null && !preparedDelete.equals(tx.id())) {
      return Vote.abort(ErrorCode.ABORTED, "another deletion of room '" + name + "' is in progress");
    }
    preparedDelete = tx.id();
    return Vote.readyVote();
  }

  void commitDelete(Transaction tx) {
    lane.assertCurrent();
    if (deleted) {
      return;
    }
    boolean wasAdmin = adminRole != null;
    endLease(true);
    finish(new RoomEvent.RoomDeleted(name, "deleted by its admin node " + admin));
    if (wasAdmin) {
      engine.writeStore("delete the history of deleted room '" + name + "'", () -> engine.history.deleteRoom(name));
      engine.directory.roomDeleted(name);
    } else if (succession.holdsAnything() && !engine.history.shared()) {
      engine.writeStore("delete the replica of deleted room '" + name + "'", () -> engine.history.deleteRoom(name));
    }
  }

  /**
   * With failover, the deletion's commit point, on the admin that coordinates it once every vote is
   * READY: the room is retired at the lease backend with this node's lease ({@link
   * Succession#retire}). If that fails the deletion rolls back, and this node steps down: its lease
   * is no longer held (a retire that timed out may even have happened; then the next takeover finds
   * the room retired and ends it).
   */
  CompletableFuture<Void> retireForDeletion(Transaction tx) {
    lane.assertCurrent();
    if (adminRole == null || deleted || !tx.id().equals(preparedDelete)) {
      return CompletableFuture.failedFuture(new ChatException(ErrorCode.ABORTED,
          "node " + engine.self + " no longer administers room '" + name + "' with this deletion prepared"));
    }
    return succession.retire().whenComplete((v, e) -> {
      if (e != null) {
        stepDown("could not retire room '" + name + "' at the lease backend to delete it: " + ChatException.from(e).getMessage());
      }
    });
  }

  /**
   * With failover: the room was deleted while this node did not hear the deletion (the lease backend
   * has it retired: a takeover was refused, or the directory asked). It ends here as a deletion
   * would: local members get {@code RoomDeleted}, the directory drops it, this node's copy of its
   * log is deleted. Ignored while this node administers the room, or when it knows the room at an
   * epoch newer than {@code maxEpoch} (a later incarnation of the name).
   */
  void deletedElsewhere(String why, long maxEpoch) {
    lane.assertCurrent();
    if (deleted || adminRole != null || epoch > maxEpoch) {
      return;
    }
    boolean replicaHeld = succession.holdsAnything();
    long known = epoch;
    log.info("{}: room '{}' was deleted while this node did not hear it: {}", engine.self, name, why);
    finish(new RoomEvent.RoomDeleted(name, "room '" + name + "' was deleted"));
    engine.directory.dropRetired(name, known);
    if (replicaHeld && !engine.history.shared()) {
      engine.writeStore("delete the replica of deleted room '" + name + "'", () -> engine.history.deleteRoom(name));
    }
  }

  void rollbackDelete(Transaction tx) {
    lane.assertCurrent();
    if (tx.id().equals(preparedDelete)) {
      preparedDelete = null;
      maybeForget();
    }
  }

  /**
   * This node's room lost a split brain ({@link RoomDirectory#wins}): it ends here without a
   * two-phase commit (the name belongs to another node's room). Local members get {@code
   * RoomDeleted} with {@code reason}, every member node is sent {@link RoomGone} with it (its members
   * are told the same), requests waiting for durability fail, and the stored room is deleted so a
   * restart does not bring it back. The admin role is dropped.
   */
  void abandon(String reason) {
    lane.assertCurrent();
    AdminRole a = adminRole;
    if (a == null || deleted) {
      return;
    }
    a.abandon(reason);
    adminRole = null;
    endLease(true);
    finish(new RoomEvent.RoomDeleted(name, reason));
    engine.writeStore("delete the history of room '" + name + "' that lost a split brain", () -> engine.history.deleteRoom(name));
  }

  private void finish(RoomEvent.RoomDeleted event) {
    deleted = true;
    adminReady.completeExceptionally(unknownRoom()); // a creation waiting for its lease is answered
    endLease(false);
    member.end(event);
    preparedDelete = null;
    engine.forget(this);
    engine.directory.adminGone(name, admin);
  }

  /** Gives up the lease (on deletion: released so a re-creation can take it at once) and any takeover. */
  private void endLease(boolean release) {
    succession.end(release);
  }

  /** The node is closing (room lane): the lease is released so a replica takes the room over at once. */
  void nodeClosingLease() {
    endLease(true);
  }

  /** Drops this state from the node when it holds nothing (no admin role, replica, members, requests or vote). */
  void maybeForget() {
    if (adminRole == null && !succession.holdsAnything() && member.idle() && preparedDelete == null) {
      engine.forget(this);
    }
  }

  // ================================================================ helpers for the roles

  /**
   * The node is closing (room lane): sends still waiting here for the link to the admin fail with
   * {@code error}, so their callers are not left waiting forever (violation V11 of the nemesis).
   * Sends already forwarded are failed with the node's pending requests.
   */
  void nodeClosing(ChatException error) {
    lane.assertCurrent();
    member.nodeClosing(error);
  }

  /** Runs {@code task} on the lane after {@link #HOLD_RECHECK} (flow control re-checks the links). */
  void recheckLater(Runnable task) {
    engine.clock.schedule(HOLD_RECHECK, () -> lane.execute(task));
  }

  ChatException unknownRoom() {
    return new ChatException(ErrorCode.UNKNOWN_ROOM, "room '" + name + "' does not exist (any more)");
  }
}
