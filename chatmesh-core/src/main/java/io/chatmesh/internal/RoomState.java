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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One room on this node, as an actor: everything it knows about the room is touched only on the
 * room's {@link #lane}. It holds up to two roles and swaps them on transitions, as Raft
 * implementations swap leader and follower state:
 *
 * <ul>
 *   <li>an {@link AdminRole} while this node administers the room: created by {@link #becomeAdmin}
 *       (a new room) or {@link #restoreAdmin} (after a restart), dropped by {@link #abandon} (a lost
 *       split brain). It sequences the room's log; see its pieces {@link SendHold}, {@link
 *       AppendPipeline} (the durability rule: an entry is broadcast and acknowledged only once it is
 *       in the history store) and {@link ResendBuffer}.
 *   <li>a {@link MemberRole}, always there (empty while no user joined through this node): the
 *       local users, in-order delivery of the admin's entries, and requests to the admin.
 * </ul>
 *
 * <p>What belongs to the room rather than to a role stays here: its identity ({@link #name}, {@link
 * #admin}, {@link #epoch}), the deletion (two-phase commit participant) and the room's end. The
 * methods called by the engine keep their names ({@code adminX} for the admin role, {@code memberX}
 * for the member role) and pass the call to the role. A replica role (replication and failover)
 * will be a third role, swapped in and out on lease changes.
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
  /** With failover: this node's copy of the room's log and its promise (lazily created). */
  private @Nullable ReplicaRole replica;
  /** With failover: the lease while this node administers the room or is taking it over. */
  private @Nullable LeaseKeeper lease;
  private @Nullable Takeover takeover;
  /** A planned move in progress ({@link #moveTo}): the target and the caller's future. */
  private @Nullable NodeId moveTarget;
  private @Nullable CompletableFuture<Void> moveOut;
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
   * failover it first takes the room's lease and picks the replica set; {@link #adminReady}
   * completes once it administers the room.
   */
  void becomeAdmin() {
    lane.assertCurrent();
    if (adminRole != null || deleted) {
      return;
    }
    if (!failover()) {
      adminRole = AdminRole.created(this, null);
      adminReady.complete(null);
      return;
    }
    if (lease != null) {
      return; // acquiring
    }
    List<NodeId> live = engine.liveNodesAndSelf();
    List<NodeId> set = Replication.choose(name, engine.self, live, engine.settings.failover().replicationFactor());
    acquireForCreation(set, engine.clock.millis() + 2 * engine.settings.failover().leaseDuration().toMillis());
  }

  private void acquireForCreation(List<NodeId> set, long deadline) {
    LeaseKeeper k = newLeaseKeeper();
    lease = k;
    k.acquire().whenComplete((l, e) -> {
      if (lease != k || deleted) {
        return;
      }
      if (e != null) {
        lease = null;
        if (engine.running() && engine.clock.millis() < deadline) {
          log.info("{}: room '{}' waits for its lease: {}", engine.self, name, ChatException.from(e).getMessage());
          engine.clock.schedule(engine.settings.failover().renewInterval(), () -> lane.execute(() -> {
            if (adminRole == null && lease == null && !deleted) {
              acquireForCreation(set, deadline);
            }
          }));
        } else {
          adminReady.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE,
              "room '" + name + "' was created but node " + engine.self + " could not take its lease: " + ChatException.from(e).getMessage()));
        }
        return;
      }
      replica().promiseSelf(epoch);
      adminRole = AdminRole.created(this, set);
      adminReady.complete(null);
    });
  }

  private LeaseKeeper newLeaseKeeper() {
    return new LeaseKeeper(name, engine.self, engine.settings.failover().leases(), engine.settings.failover(), engine.clock,
        new LeaseKeeper.Host() {
          @Override
          public void onLane(Runnable task) {
            lane.execute(task);
          }

          @Override
          public void lost(String why) {
            stepDown("node " + engine.self + " lost the lease of room '" + name + "': " + why);
          }
        });
  }

  boolean failover() {
    return engine.settings.failover() != null;
  }

  /** Whether this node may sequence now: without failover always; with it, while its lease is valid. */
  boolean maySequence() {
    LeaseKeeper k = lease;
    return k == null ? !failover() : k.maySequence();
  }

  /** This node's replica role (created on first use; only with failover). */
  ReplicaRole replica() {
    ReplicaRole r = replica;
    if (r == null) {
      r = new ReplicaRole(this);
      replica = r;
    }
    return r;
  }

  // ================================================================ failover

  /** A {@link Replicate} from {@code from}: follow it unless a newer epoch is known. */
  void onReplicate(NodeId from, Replicate r) {
    lane.assertCurrent();
    if (deleted) {
      return;
    }
    if (adminRole != null && r.epoch() > epoch) {
      stepDown("node " + from + " administers room '" + name + "' at epoch " + r.epoch() + ", newer than this node's " + epoch);
    }
    boolean follows = replica().onReplicate(from, r);
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
    if (adminRole != null && c.epoch() > epoch) {
      stepDown("node " + from + " takes room '" + name + "' over at epoch " + c.epoch());
    }
    replica().onCollect(from, c);
  }

  void onReplicaAck(NodeId from, ReplicaAck a) {
    lane.assertCurrent();
    AdminRole ar = adminRole;
    if (ar != null) {
      ar.onReplicaAck(from, a);
    }
  }

  /**
   * This node stops administering the room (its lease lapsed or a newer epoch exists): requests
   * waiting for it fail UNAVAILABLE (retry: the next admin deduplicates by client message id), its
   * log stays as a replica's, and local users are told the room is unavailable until the next admin
   * announces itself.
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
    replica().continueAfterAdmin(epoch, a.released(), a.replicas());
    LeaseKeeper k = lease;
    lease = null;
    if (k != null) {
      k.stop();
    }
    engine.directory.steppedDown(name, epoch);
    member.onAdminDown(why);
  }

  /** The room's admin is now {@code newAdmin} at {@code newEpoch} (a failover or a move). */
  void adminChanged(NodeId newAdmin, long newEpoch) {
    lane.assertCurrent();
    if (deleted || newEpoch < epoch || (newEpoch == epoch && newAdmin.equals(admin))) {
      return;
    }
    if (moveOut != null && newAdmin.equals(moveTarget)) {
      moveOut.complete(null);
      moveOut = null;
      moveTarget = null;
    }
    if (adminRole != null && !newAdmin.equals(engine.self)) {
      stepDown("node " + newAdmin + " administers room '" + name + "' at epoch " + newEpoch);
    }
    NodeId was = admin;
    admin = newAdmin;
    epoch = newEpoch;
    log.info("{}: room '{}' is administered by {} at epoch {} (was {})", engine.self, name, newAdmin, newEpoch, was);
    member.adminChanged(was);
  }

  // ================================================================ planned moves

  /** Room.moveTo: hands the room to {@code target}, a live replica, with no loss (see {@link io.chatmesh.Room#moveTo}). */
  void moveTo(NodeId target, CompletableFuture<Void> out) {
    lane.assertCurrent();
    if (!failover()) {
      out.completeExceptionally(new ChatException(ErrorCode.BAD_REQUEST,
          "room '" + name + "' cannot move: node " + engine.self + " runs without failover (ChatNode.Builder.failover)"));
      return;
    }
    if (deleted) {
      out.completeExceptionally(unknownRoom());
      return;
    }
    AdminRole a = adminRole;
    if (a == null) {
      out.completeExceptionally(new ChatException(ErrorCode.NOT_ADMIN,
          "room '" + name + "' is administered by node " + admin + "; call moveTo on that node, not on " + engine.self));
      return;
    }
    if (target.equals(engine.self)) {
      out.complete(null);
      return;
    }
    if (!a.replicas().contains(target) || !engine.isAlive(target)) {
      out.completeExceptionally(new ChatException(ErrorCode.BAD_REQUEST,
          "node " + target + " is not a live replica of room '" + name + "'; its replicas are " + a.replicas()));
      return;
    }
    if (moveOut != null) {
      out.completeExceptionally(new ChatException(ErrorCode.ABORTED, "room '" + name + "' is already moving to node " + moveTarget));
      return;
    }
    moveTarget = target;
    moveOut = out;
    a.startMove(target);
    long deadline = engine.clock.millis() + 2 * engine.settings.requestTimeout().toMillis();
    waitToHand(a, target, deadline);
  }

  private void waitToHand(AdminRole a, NodeId target, long deadline) {
    if (adminRole != a || moveOut == null) {
      failMove(ErrorCode.UNAVAILABLE, "node " + engine.self + " stopped administering room '" + name + "' during the move");
      return;
    }
    if (a.readyToHand(target)) {
      hand(target);
      return;
    }
    if (engine.clock.millis() > deadline || !engine.isAlive(target)) {
      a.cancelMove();
      failMove(ErrorCode.TIMEOUT, "replica " + target + " of room '" + name + "' did not catch up in time; the room stays on node " + engine.self);
      return;
    }
    engine.clock.schedule(Duration.ofMillis(10), () -> lane.execute(() -> waitToHand(a, target, deadline)));
  }

  private void hand(NodeId target) {
    LeaseKeeper k = lease;
    lease = null;
    long e = epoch;
    stepDown("room '" + name + "' moves to node " + target);
    Runnable tell = () -> engine.send(target, new Handover(name, e));
    if (k != null) {
      k.release().whenComplete((v, x) -> tell.run());
    } else {
      tell.run();
    }
    // generous: a takeover collects tails and reads the store; the room is safe meanwhile either way
    long left = 2 * (engine.settings.requestTimeout().toMillis() + engine.settings.failover().leaseDuration().toMillis());
    engine.clock.schedule(Duration.ofMillis(left), () -> lane.execute(() -> failMove(ErrorCode.TIMEOUT,
        "node " + target + " did not take room '" + name + "' over in time; a replica takes it over when the lease lapses")));
  }

  private void failMove(ErrorCode code, String why) {
    CompletableFuture<Void> out = moveOut;
    moveOut = null;
    moveTarget = null;
    if (out != null) {
      out.completeExceptionally(new ChatException(code, why));
    }
  }

  /** ChatNode.drain: moves this room to its most caught-up live replica; completes when moved. */
  void drain(CompletableFuture<Void> out) {
    lane.assertCurrent();
    AdminRole a = adminRole;
    if (a == null) {
      out.complete(null); // not administered here (any more)
      return;
    }
    List<NodeId> targets = a.liveReplicasByProgress();
    if (targets.isEmpty()) {
      out.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE,
          "room '" + name + "' has no live replica to move to" + (failover() ? "" : " (no failover configured)")));
      return;
    }
    moveTo(targets.get(0), out);
  }

  /** A planned move's {@link Handover}: take the room over now (the lease was released). */
  void onHandover(NodeId from, Handover h) {
    lane.assertCurrent();
    if (deleted || adminRole != null || takeover != null || !failover()) {
      return;
    }
    if (h.epoch() < epoch || !replica().replicas().contains(engine.self)) {
      log.warn("{}: ignores the handover of room '{}' from {} at epoch {} (knows epoch {}, replicas {})", engine.self, name, from,
          h.epoch(), epoch, replica().replicas());
      return;
    }
    startTakeover();
  }

  /**
   * Every other heartbeat (with failover): a replica whose admin is unreachable, or no longer
   * announces the room, tries to take the room over (only the one that gets the lease does).
   */
  void checkTakeover() {
    lane.assertCurrent();
    if (!failover() || deleted || adminRole != null || takeover != null || replica == null || !engine.running()) {
      return;
    }
    if (!replica.replicas().contains(engine.self)) {
      return;
    }
    io.chatmesh.RoomSummary s = engine.directory.get(name);
    boolean adminGone = s == null ? !engine.isAlive(admin) : (!s.available() || !engine.isAlive(s.admin()));
    if (!adminGone && !admin.equals(engine.self)) {
      return;
    }
    startTakeover();
  }

  /** Starts taking the room over (also after a restart with a durable store). */
  void startTakeover() {
    LeaseKeeper k = newLeaseKeeper();
    lease = k;
    Takeover t = new Takeover(this, replica(), k);
    takeover = t;
    t.start();
  }

  /** The takeover ended without this node administering the room (lease held elsewhere, no majority). */
  void takeoverFailed(Takeover t, String why) {
    lane.assertCurrent();
    if (takeover != t) {
      return;
    }
    takeover = null;
    LeaseKeeper k = lease;
    lease = null;
    if (k != null && k.lease() != null) {
      k.release();
    } else if (k != null) {
      k.stop();
    }
    log.debug("{}: no takeover of room '{}': {}", engine.self, name, why);
  }

  /** The takeover succeeded: this node administers the room at {@code newEpoch}, continuing {@code stored}. */
  void takeoverDone(Takeover t, long newEpoch, long committed, HistoryEntries.StoredLog stored) {
    lane.assertCurrent();
    if (takeover != t) {
      return;
    }
    takeover = null;
    if (deleted) {
      takeoverFailed(t, "deleted");
      return;
    }
    NodeId was = admin;
    admin = engine.self;
    epoch = newEpoch;
    AdminRole a = AdminRole.restored(this, stored.last(), Math.min(committed, stored.last()), stored.recent(), stored.settings(),
        replica().replicas());
    adminRole = a;
    a.adoptMembers(stored.members(), stored.last());
    log.warn("{}: took room '{}' over from {} at epoch {} (log continues after seq {})", engine.self, name, was, newEpoch, stored.last());
    engine.metrics.failovers.increment();
    engine.directory.tookOver(name, newEpoch);
    member.adminChanged(was);
    adminReady.complete(null);
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
    if (node.equals(admin) && adminRole == null) {
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
    } else if (replica != null && !engine.history.shared()) {
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
    endLease(false);
    member.end(event);
    preparedDelete = null;
    engine.forget(this);
    engine.directory.adminGone(name, admin);
  }

  /** Gives up the lease (on deletion: released so a re-creation can take it at once) and any takeover. */
  private void endLease(boolean release) {
    takeover = null;
    LeaseKeeper k = lease;
    lease = null;
    if (k != null) {
      if (release && k.lease() != null) {
        k.release();
      } else {
        k.stop();
      }
    }
  }

  /** The node is closing (room lane): the lease is released so a replica takes the room over at once. */
  void nodeClosingLease() {
    endLease(true);
  }

  /** Drops this state from the node when it holds nothing (no admin role, replica, members, requests or vote). */
  void maybeForget() {
    if (adminRole == null && replica == null && lease == null && member.idle() && preparedDelete == null) {
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
