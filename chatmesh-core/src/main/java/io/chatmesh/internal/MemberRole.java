package io.chatmesh.internal;

import static io.chatmesh.internal.Replies.completeVoid;
import static io.chatmesh.internal.Replies.error;
import static io.chatmesh.internal.Replies.historyError;

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
import io.chatmesh.time.ChatClock;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.HistoryReply;
import io.chatmesh.wire.HistoryRequest;
import io.chatmesh.wire.InfoRequest;
import io.chatmesh.wire.InviteRequest;
import io.chatmesh.wire.JoinRequest;
import io.chatmesh.wire.LeaveRequest;
import io.chatmesh.wire.Lost;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.ResendRequest;
import io.chatmesh.wire.RoomTail;
import io.chatmesh.wire.SendRequest;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.SyncRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The member role of a room on this node: the users joined through it ({@link LocalSession}s),
 * {@link InOrderDelivery} that releases the admin's entries strictly by seq, gap detection with
 * resend requests, the {@link ForwardWindow} of sends to the admin, the {@link JoinCatchUp} of
 * joiners, and the count of requests in flight to the admin (a deletion PREPARE is refused while
 * it is non-zero). Requests go to the room's {@link AdminRole} directly when this node is the admin,
 * else over the wire.
 *
 * <p>Every room actor ({@link RoomState}) has one, empty while no user joined through this node.
 * Not thread-safe: used on the room's lane only.
 */
final class MemberRole {
  private static final Logger log = LoggerFactory.getLogger(MemberRole.class);

  private final RoomState room;
  private final NodeEngine engine;
  private final String name;
  private final LocalSessions locals;
  private final InOrderDelivery<Sequenced> delivery;
  /** The epochs of what was delivered, checked against a newer admin's log (F5: seqs reused after an ADMIN_ONLY failover). */
  private final DeliveredEpochs epochs;
  /** Requests to the admin, counted in flight until answered. */
  private final AdminLink link;
  /** Sends forwarded to the admin (at most {@link RoomState#MAX_SENDS_IN_FLIGHT}) and those waiting for a slot. */
  private final ForwardWindow sendWindow;
  private final CatchUpRoom catchUpRoom = new CatchUpRoom();
  private boolean unavailable;
  private long tailSeen;
  private long lastResendAt = Long.MIN_VALUE / 2;
  private final AdminSilence silence;

  MemberRole(RoomState room) {
    this.room = room;
    this.engine = room.engine;
    this.name = room.name;
    this.locals = new LocalSessions(name, engine.metrics.deliveries);
    this.delivery = new InOrderDelivery<>(Sequenced::seq, engine.settings.resendBufferSize());
    this.epochs = new DeliveredEpochs(engine.settings.resendBufferSize());
    this.link = new AdminLink(engine.requests, () -> room.admin, engine::send, room.lane, room::maybeForget);
    this.sendWindow = new ForwardWindow(RoomState.MAX_SENDS_IN_FLIGHT, RoomState.MAX_WAITING_SENDS, new SendOutlet());
    this.silence = new AdminSilence(engine.settings.failureTimeout().toMillis());
  }

  // ================================================================ API

  void join(UserId user, RoomListener listener, JoinOptions options, CompletableFuture<Joined> out) {
    if (!checkUsable(out)) {
      return;
    }
    if (locals.contains(user)) {
      out.completeExceptionally(
          new ChatException(ErrorCode.ALREADY_MEMBER, "user " + user + " already joined room '" + name + "' through node " + engine.self));
      return;
    }
    LocalSession local = new LocalSession(listener, options);
    locals.put(user, local);
    room.localCount = locals.size();
    AdminRole a = room.adminRole();
    if (a != null) {
      a.adminJoin(engine.self, user, 0, bounded("join of " + user, r -> onJoinReply(user, local, r, null, out)));
    } else {
      link.forward(id -> new JoinRequest(id, name, user), (r, e) -> onJoinReply(user, local, r, e, out));
    }
  }

  private void onJoinReply(UserId user, LocalSession local, @Nullable Reply r, @Nullable Throwable e, CompletableFuture<Joined> out) {
    joinAnswered(user, local, r, e, out);
    local.joinAnswered();
  }

  private void joinAnswered(UserId user, LocalSession local, @Nullable Reply r, @Nullable Throwable e, CompletableFuture<Joined> out) {
    ChatException error = error(r, e);
    if (error != null) {
      LocalSession l = locals.get(user);
      if (l != null && (!l.active || l.early != null)) { // not started, or only tentatively
        locals.remove(user);
        afterMembershipChange();
      }
      out.completeExceptionally(error);
      return;
    }
    // its live events start at the reply's seq: a tentatively active session keeps what it got from
    // there on, one not active starts when delivery reaches it (see LocalSessions)
    locals.answered(user, local, r.seq(), delivery.started() ? delivery.nextExpected() : 0);
    if (!delivery.started() && locals.contains(user)) {
      dispatch(delivery.startAt(r.seq()));
    }
    if (locals.get(user) == local && !local.active && delivery.started() && r.seq() < delivery.nextExpected()) {
      // its JOINED entry went by before it could start delivery (lost, and a later join started it):
      // its entries from the join up to the live position come from history, live ones wait meanwhile
      local.active = true;
      if (local.held == null) {
        local.held = new ArrayList<>();
      }
      new JoinCatchUp(catchUpRoom, user, local, r, out, delivery.nextExpected()).start();
      return;
    }
    if (locals.get(user) == local && !local.active && delivery.started() && r.seq() == delivery.nextExpected()) {
      local.active = true; // nothing before its start will be dispatched any more (a lost range is reported to it)
    }
    if (local.held == null || locals.get(user) != local) {
      out.complete(new Joined(name, room.admin, r.epoch(), r.seq(), r.members(), true));
      return;
    }
    new JoinCatchUp(catchUpRoom, user, local, r, out, r.seq()).start();
  }

  void leave(UserId user, CompletableFuture<Void> out) {
    if (room.deleted()) {
      out.completeExceptionally(room.unknownRoom());
      return;
    }
    LocalSession local = locals.get(user);
    if (local == null) {
      out.completeExceptionally(notMember(user));
      return;
    }
    local.leaveAfterJoin(() -> sendLeave(user, out));
  }

  private void sendLeave(UserId user, CompletableFuture<Void> out) {
    if (room.deleted()) {
      out.completeExceptionally(room.unknownRoom()); // deleted while its join was pending
      return;
    }
    AdminRole a = room.adminRole();
    if (a != null) {
      a.adminLeave(engine.self, user, 0, bounded("leave of " + user, r -> onLeaveReply(user, r, null, out)));
    } else {
      link.forward(id -> new LeaveRequest(id, name, user), (r, e) -> onLeaveReply(user, r, e, out));
    }
  }

  private void onLeaveReply(UserId user, @Nullable Reply r, @Nullable Throwable e, CompletableFuture<Void> out) {
    ChatException error = error(r, e);
    if (error != null) {
      out.completeExceptionally(error);
      return;
    }
    if (locals.remove(user) != null) {
      afterMembershipChange();
    }
    out.complete(null);
  }

  void send(UserId user, String text, @Nullable String clientMessageId, CompletableFuture<Sent> out) {
    long started = System.nanoTime();
    if (!checkUsable(out)) {
      engine.metrics.sendRefused(ChatException.from(out.handle((v, e) -> e).join()).code());
      return;
    }
    LocalSession l = locals.get(user);
    if (l == null || !l.active) {
      engine.metrics.sendRefused(ErrorCode.NOT_MEMBER);
      out.completeExceptionally(
          l == null
              ? notMember(user)
              : new ChatException(ErrorCode.NOT_MEMBER, "user " + user + " has not finished joining room '" + name + "'"));
      return;
    }
    // a retry-safe id the user did not give: unique per node incarnation, cheap (no SecureRandom)
    String cmid = clientMessageId != null ? clientMessageId : engine.nextClientMessageId();
    AdminRole a = room.adminRole();
    if (a != null) {
      Consumer<Reply> reply = r -> onSendReply(r, null, out, started);
      // only a wait for replicas is remote (and costs a timer per send); the admin's own store is not
      a.adminSend(engine.self, new SendRequest(0, name, user, cmid, text), a.repliesWaitForReplicas() ? bounded("send of " + user, reply) : reply);
      return;
    }
    switch (sendWindow.offer(new ForwardWindow.Send(user, text, cmid, out, started))) {
      case FULL -> {
        engine.metrics.sendRefused(ErrorCode.UNAVAILABLE);
        out.completeExceptionally(
            new ChatException(
                ErrorCode.UNAVAILABLE,
                "room '" + name + "': " + sendWindow.waiting() + " sends from node " + engine.self
                    + " are already waiting for its admin " + room.admin + "; slow down and retry"));
      }
      case WAITING -> engine.metrics.sendsWaited.increment();
      case FORWARDED -> { }
    }
  }

  private void onSendReply(@Nullable Reply r, @Nullable Throwable e, CompletableFuture<Sent> out, long started) {
    ChatException error = error(r, e);
    if (error != null) {
      engine.metrics.sendRefused(error.code());
      out.completeExceptionally(error);
    } else {
      engine.metrics.sendsAccepted.increment();
      engine.metrics.sendAcknowledged(System.nanoTime() - started);
      out.complete(new Sent(name, r.epoch(), r.seq(), r.duplicate()));
    }
  }

  /** Room.history: the newest {@code limit} chat messages before {@code beforeSeq}, from the admin. */
  void history(long beforeSeq, int limit, CompletableFuture<List<ChatMessage>> out) {
    if (room.deleted()) {
      out.completeExceptionally(room.unknownRoom());
      return;
    }
    if (!room.isAdmin() && !engine.isAlive(room.admin)) {
      out.completeExceptionally(unavailable());
      return;
    }
    link.request(
        id -> new HistoryRequest(id, name, 0, beforeSeq, limit, true, true),
        (h, e) -> {
          ChatException error = historyError(h, e);
          if (error != null) {
            out.completeExceptionally(error);
            return;
          }
          List<ChatMessage> msgs = new ArrayList<>(h.entries().size());
          for (Sequenced s : h.entries()) {
            if (s.kind() == EventKind.MESSAGE) {
              msgs.add((ChatMessage) LocalSession.toEvent(name, s));
            }
          }
          out.complete(List.copyOf(msgs));
        });
  }

  void info(CompletableFuture<RoomInfo> out) {
    if (room.deleted()) {
      out.completeExceptionally(room.unknownRoom());
      return;
    }
    AdminRole a = room.adminRole();
    if (a != null) {
      String fenced = a.fenced();
      if (fenced != null) {
        out.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE, fenced));
        return;
      }
      Reply r = a.adminInfo(0);
      out.complete(new RoomInfo(name, room.admin, r.epoch(), r.seq(), r.members()));
      return;
    }
    if (!engine.isAlive(room.admin)) {
      out.completeExceptionally(unavailable());
      return;
    }
    link.forward(
        id -> new InfoRequest(id, name),
        (r, e) -> {
          ChatException error = error(r, e);
          if (error != null) {
            out.completeExceptionally(error);
          } else {
            out.complete(new RoomInfo(name, room.admin, r.epoch(), r.seq(), r.members()));
          }
        });
  }

  /** Invites or uninvites {@code user} on behalf of {@code by}: asks the admin (or is it). */
  void invite(UserId by, UserId user, boolean invite, CompletableFuture<Void> out) {
    if (!checkUsable(out)) {
      return;
    }
    AdminRole a = room.adminRole();
    if (a != null) {
      a.adminInvite(by, user, invite, 0, r -> completeVoid(r, null, out));
    } else {
      link.forward(id -> new InviteRequest(id, name, by, user, invite), (r, e) -> completeVoid(r, e, out));
    }
  }

  // ================================================================ log delivery

  void memberDeliver(Sequenced s) {
    if (locals.isEmpty() || room.deleted()) {
      return;
    }
    silence.heard(engine.clock.millis());
    if (!delivery.started()) {
      LocalSession l = locals.get(s.user());
      delivery.offer(s);
      if (s.kind() == EventKind.JOINED && l != null && !l.active) {
        dispatch(delivery.startAt(s.seq()));
      }
      return;
    }
    if (epochs.hold(s)) {
      checkEpoch(s.epoch(), s.seq());
      return;
    }
    dispatch(delivery.offer(s));
    maybeResend();
  }

  void memberTail(NodeId from, RoomTail t) {
    if (!from.equals(room.admin) || locals.isEmpty()) {
      return;
    }
    silence.heard(engine.clock.millis());
    tailSeen = Math.max(tailSeen, t.lastSeq());
    checkEpoch(t.epoch(), t.lastSeq());
    maybeResend();
  }

  void memberLost(Lost l) {
    if (!delivery.started() || locals.isEmpty()) {
      return;
    }
    long next = delivery.nextExpected();
    if (l.fromSeq() <= next && l.toSeq() >= next) {
      locals.activateStarted(l.toSeq());
      log.warn("{}: entries {}..{} of room '{}' could not be recovered", engine.self, next, l.toSeq(), name);
      engine.metrics.messagesLost.add(l.toSeq() - next + 1);
      locals.fire(new RoomEvent.MessagesLost(name, l.epoch(), next, l.toSeq()), false);
      epochs.skipped(next);
      dispatch(delivery.skipTo(l.toSeq() + 1));
    }
  }

  /**
   * This node learned of epoch {@code epoch}, whose admin's log reaches {@code adminSeq}: if it is
   * newer than the epoch of everything delivered here, reads the admin's log over what was
   * delivered (see {@link DeliveredEpochs}). Entries of that epoch wait meanwhile.
   */
  private void checkEpoch(long epoch, long adminSeq) {
    if (!delivery.started() || !epochs.shouldCheck(epoch, adminSeq)) {
      return;
    }
    long next = delivery.nextExpected();
    long from = epochs.checkFrom(next);
    long gen = epochs.checkSent();
    log.debug("{}: room '{}' has a newer epoch {} than what was delivered here up to seq {}: reads its admin {}'s log from seq {}",
        engine.self, name, epoch, next - 1, room.admin, from);
    link.request(
        id -> new HistoryRequest(id, name, from - 1, next, (int) Math.max(1, next - from), false, false),
        (h, e) -> epochChecked(gen, from, next, h, e));
  }

  /**
   * The admin's log over what was delivered: where an entry there has another epoch than the one
   * delivered here, those delivered from that seq on were lost at failover (ADMIN_ONLY acks) and
   * the new admin reuses their seqs. Local users get {@link RoomEvent.MessagesLost} naming the new
   * epoch and those seqs, then the log's entries from there on (the same seqs, a newer epoch).
   */
  private void epochChecked(long gen, long from, long next, @Nullable HistoryReply h, @Nullable Throwable e) {
    if (!epochs.current(gen)) {
      return;
    }
    ChatException error = historyError(h, e);
    if (error != null || !delivery.started() || delivery.nextExpected() != next) {
      log.debug("{}: room '{}': the check of what was delivered against a newer epoch did not answer ({}); asks again", engine.self, name,
          error != null ? error.getMessage() : "delivery moved on");
      epochs.checkFailed();
      // entries wait for it, and tails or entries need not come any more (the admin may not count
      // this node yet): ask again, at once when only delivery moved on, else a heartbeat later
      if (error == null) {
        checkHeldAgain();
      } else if (engine.running()) {
        engine.clock.schedule(engine.settings.heartbeatInterval(), () -> room.lane.execute(this::checkHeldAgain));
      }
      return;
    }
    long at = epochs.answered(h.entries(), from, next, h.epoch(), h.lastSeq());
    if (at < next) {
      log.warn("{}: entries {}..{} of room '{}' delivered here are not in the log of its admin {} at epoch {} (lost at failover); "
          + "its entries from seq {} on follow", engine.self, at, next - 1, name, room.admin, h.epoch(), at);
      epochs.truncate(at);
      delivery.rewindTo(at);
      engine.metrics.messagesLost.add(next - at);
      locals.fire(new RoomEvent.MessagesLost(name, h.epoch(), at, next - 1), false);
      tailSeen = Math.max(tailSeen, h.lastSeq());
      lastResendAt = Long.MIN_VALUE / 2;
    }
    for (Sequenced s : epochs.release()) {
      dispatch(delivery.offer(s));
    }
    checkHeldAgain(); // undecided, and the admin's log went on meanwhile
    maybeResend();
  }

  /** Checks again for the newest entry held by {@link DeliveredEpochs} (if any, and no check is in flight). */
  private void checkHeldAgain() {
    Sequenced newest = epochs.newestHeld();
    if (newest != null && !locals.isEmpty() && !room.deleted()) {
      checkEpoch(newest.epoch(), newest.seq());
    }
  }

  private void maybeResend() {
    if (!delivery.started()) {
      return; // (on the admin's node too: after a takeover it may miss what the old admin released)
    }
    long next = delivery.nextExpected();
    long[] gap = delivery.firstGap();
    long to;
    if (gap != null) {
      to = gap[1];
    } else if (tailSeen >= next) {
      to = tailSeen;
    } else {
      return;
    }
    long now = engine.clock.millis();
    if (now - lastResendAt < engine.requests.retryIntervalMillis()) {
      return;
    }
    lastResendAt = now;
    engine.metrics.resendRequests.increment();
    engine.send(room.admin, new ResendRequest(name, next, Math.min(to, next + ResendBuffer.MAX_RESEND_BATCH - 1)));
  }

  private void dispatch(List<Sequenced> entries) {
    for (Sequenced s : entries) {
      epochs.delivered(s);
      locals.activateStarted(s.seq());
      UserId removeAfter = null;
      switch (s.kind()) {
        case JOINED -> locals.joinedEntry(s.user());
        // the leaver learns from its completed leave(); no event of its own. A local user whose
        // session did not start is a newer session (the user moved here): the entry ends the old one
        case LEFT -> locals.endSession(s.user());
        case NODE_FAILED -> removeAfter = s.user();
        default -> {}
      }
      RoomEvent event = LocalSession.toEvent(name, s);
      if (event != null) {
        locals.fire(event, false);
      }
      if (removeAfter != null) {
        locals.endSession(removeAfter);
      }
    }
    if (!entries.isEmpty()) {
      afterMembershipChange();
    }
  }

  private void afterMembershipChange() {
    room.localCount = locals.size();
    if (locals.isEmpty()) {
      delivery.reset();
      epochs.reset();
      tailSeen = 0;
      room.maybeForget();
    }
  }

  // ================================================================ lifecycle

  /** Whether this role holds nothing: no local user, no request in flight or waiting. */
  boolean idle() {
    return locals.isEmpty() && link.inFlight() == 0 && sendWindow.waiting() == 0;
  }

  /** Why a deletion PREPARE must be refused here (requests in flight to the admin), or null. */
  @Nullable String busy() {
    if (link.inFlight() > 0 || sendWindow.waiting() > 0) {
      return "node " + engine.self + " has " + (link.inFlight() + sendWindow.waiting())
          + " operation(s) for room '" + name + "' in flight to its admin";
    }
    return null;
  }

  /** The room ended: every local user (also those still joining) gets {@code event}; nothing is delivered any more. */
  void end(RoomEvent.RoomDeleted event) {
    locals.fire(event, true);
    locals.clear();
    delivery.reset();
    epochs.reset();
  }

  /** The admin node became unreachable: local users get RoomUnavailable (once). */
  void onAdminDown(String reason) {
    if (!unavailable && !locals.isEmpty()) {
      unavailable = true;
      locals.fire(new RoomEvent.RoomUnavailable(name, "admin node " + room.admin + " is unreachable: " + reason), true);
    }
  }

  /**
   * The room's admin changed (failover or move) from {@code was}: requests in flight to the old
   * admin fail (when it is declared down) or are answered by it; local users get RoomAvailable
   * naming the new admin (after RoomUnavailable if they were not told yet), then this node tells the
   * new admin which of its users are members, which attaches them there, and catches up.
   */
  void adminChanged(NodeId was) {
    if (locals.isEmpty()) {
      unavailable = false;
      return;
    }
    if (!unavailable) {
      locals.fire(new RoomEvent.RoomUnavailable(name, "room '" + name + "' moves from node " + was + " to node " + room.admin), true);
    }
    unavailable = false;
    locals.fire(new RoomEvent.RoomAvailable(name, room.admin, room.epoch), true);
    AdminRole a = room.adminRole();
    if (a != null) {
      // this node took the room over: its own users are attached like any member node's
      List<UserId> mine = locals.answeredUsers();
      applySync(mine, a.adminSync(engine.self, new SyncRequest(0, name, mine)));
    } else {
      syncWithAdmin();
    }
    sendWindow.pump();
  }

  /**
   * The node is closing: sends still waiting here for the link to the admin fail with {@code
   * error}, so their callers are not left waiting forever (violation V11 of the nemesis).
   */
  void nodeClosing(ChatException error) {
    sendWindow.failWaiting(error);
  }

  /**
   * The admin node is reachable again: local users get RoomAvailable, then the admin is asked which
   * of them are still members (the others get MemberLeft REMOVED) and up to which seq to catch up.
   */
  void onAdminUp() {
    if (!unavailable) {
      return;
    }
    unavailable = false;
    locals.fire(new RoomEvent.RoomAvailable(name, room.admin, room.epoch), true);
    syncWithAdmin();
  }

  /**
   * Asks the admin, which this node hears again, which of this node's users are still members and
   * where its log is. A sync lost on the way (a node that hears the admin but is not heard, right
   * after a partition) is asked again a heartbeat later while the admin stays up: the admin no
   * longer sends anything to a node whose users it removed, so without it those users would never
   * learn of their removal nor get what followed (violation V10 of the nemesis).
   */
  /** Every few heartbeats: a member node its admin has gone silent to asks where its users stand (see {@link AdminSilence}). */
  void checkAdminSilence() {
    if (silence.silent(engine.clock.millis(), !locals.isEmpty() && !room.isAdmin() && !unavailable && !room.deleted() && engine.isAlive(room.admin))) {
      syncWithAdmin();
    }
  }

  private void syncWithAdmin() {
    List<UserId> mine = locals.answeredUsers(); // an unanswered join may not have reached the admin yet
    if (mine.isEmpty() || room.isAdmin() || unavailable || room.deleted()) {
      return;
    }
    link.forward(
        id -> new SyncRequest(id, name, mine),
        (r, e) -> {
          ChatException error = error(r, e);
          if (error != null) {
            if (error.code() == ErrorCode.UNKNOWN_ROOM) {
              room.memberGone(room.admin, "room '" + name + "' no longer exists on its admin node " + room.admin);
            } else if ((error.code() == ErrorCode.TIMEOUT || error.code() == ErrorCode.UNAVAILABLE) && engine.running()
                && engine.isAlive(room.admin)) {
              engine.clock.schedule(engine.settings.heartbeatInterval(), () -> room.lane.execute(this::syncWithAdmin));
            }
            return;
          }
          applySync(mine, r);
        });
  }

  /** The admin's answer to a sync: users it no longer counts are removed here; delivery catches up to its seq. */
  private void applySync(List<UserId> mine, Reply r) {
    Set<UserId> still = new HashSet<>(r.members());
    for (UserId u : mine) {
      LocalSession l = locals.get(u);
      if (l != null && !still.contains(u)) {
        locals.remove(u);
        l.safeCall(name, new RoomEvent.MemberLeft(name, room.epoch, 0, u, RoomEvent.LeaveReason.REMOVED, engine.clock.millis()));
      }
    }
    silence.heard(engine.clock.millis());
    tailSeen = Math.max(tailSeen, r.seq());
    afterMembershipChange();
    checkEpoch(r.epoch(), r.seq());
    maybeResend();
  }

  // ================================================================ requests to the admin

  /** Fails {@code out} and returns false when the room takes no request now (deleted, being deleted, admin unreachable). */
  private <T> boolean checkUsable(CompletableFuture<T> out) {
    if (room.deleted()) {
      out.completeExceptionally(room.unknownRoom());
      return false;
    }
    AdminRole a = room.adminRole();
    if (room.deletionPrepared() || (a != null && a.deleting())) {
      out.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE, "room '" + name + "' is being deleted"));
      return false;
    }
    if (a == null && (unavailable || !engine.isAlive(room.admin))) {
      out.completeExceptionally(unavailable());
      return false;
    }
    return true;
  }

  private ChatException unavailable() {
    return new ChatException(ErrorCode.UNAVAILABLE, "room '" + name + "' is unavailable: its admin node " + room.admin + " is unreachable");
  }

  private ChatException notMember(UserId user) {
    return new ChatException(ErrorCode.NOT_MEMBER, "user " + user + " has not joined room '" + name + "' on node " + engine.self);
  }

  /**
   * A join, leave or (with replica acks) send handed to this node's own admin role, answered once: by the role, or with
   * TIMEOUT after the request timeout, like one forwarded to another node. With failover the role
   * answers once the entry is on a majority of the replicas, a remote wait that may last as long as
   * the admin is cut from them while it keeps its lease (violation F4 of the nemesis). A TIMEOUT
   * leaves the outcome unknown, as for a forwarded request: a retry is answered at the entry's
   * place if it was sequenced.
   */
  private Consumer<Reply> bounded(String what, Consumer<Reply> then) {
    boolean[] answered = new boolean[1];
    ChatClock.Cancellable[] timer = new ChatClock.Cancellable[1];
    Consumer<Reply> once = r -> {
      if (!answered[0]) {
        answered[0] = true;
        timer[0].cancel(); // set before the role can answer: the caller passes the result on afterwards
        then.accept(r);
      }
    };
    Duration timeout = engine.settings.requestTimeout();
    timer[0] = engine.clock.schedule(timeout, () -> room.lane.execute(() -> once.accept(Reply.error(0, ErrorCode.TIMEOUT,
        "the " + what + " in room '" + name + "' was not durable on a majority of its replicas within " + timeout.toMillis() + " ms"))));
    return once;
  }

  // ================================================================ the pieces' views of this role

  /** How a {@link JoinCatchUp} reads the admin's history and sees the sessions. */
  private final class CatchUpRoom implements JoinCatchUp.Room {
    @Override
    public String name() {
      return name;
    }

    @Override
    public NodeId self() {
      return engine.self;
    }

    @Override
    public NodeId admin() {
      return room.admin;
    }

    @Override
    public boolean current(UserId user, LocalSession session) {
      return locals.get(user) == session;
    }

    @Override
    public void fetch(long after, long before, int limit, BiConsumer<@Nullable HistoryReply, @Nullable Throwable> then) {
      link.request(id -> new HistoryRequest(id, name, after, before, limit, false, false), then);
    }

    @Override
    public void countLost(long n) {
      engine.metrics.messagesLost.add(n);
    }
  }

  /** How the {@link ForwardWindow} reaches the admin. */
  private final class SendOutlet implements ForwardWindow.Outlet {
    @Override
    public boolean linkWritable() {
      return engine.writable(room.admin);
    }

    @Override
    public boolean stillUsable(ForwardWindow.Send w) {
      if (checkUsable(w.out())) {
        return true;
      }
      engine.metrics.sendRefused(ChatException.from(w.out().handle((v, e) -> e).join()).code());
      return false;
    }

    @Override
    public void forward(ForwardWindow.Send w) {
      link.forward(
          id -> new SendRequest(id, name, w.user(), w.clientMessageId(), w.text()),
          (r, e) -> {
            sendWindow.answered();
            onSendReply(r, e, w.out(), w.started());
            if (r != null && r.error() == ErrorCode.NOT_MEMBER && locals.get(w.user()) != null) {
              // the admin no longer counts this user while this node does: its removal (and what
              // preceded it) was lost on the way here; ask where this node's users stand (V12)
              syncWithAdmin();
            }
            sendWindow.pump();
          });
    }

    @Override
    public void later(Runnable task) {
      room.recheckLater(task);
    }

    @Override
    public void emptied() {
      room.maybeForget();
    }
  }
}
