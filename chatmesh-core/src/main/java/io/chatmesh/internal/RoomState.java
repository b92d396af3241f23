package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ChatMessage;
import io.chatmesh.ErrorCode;
import io.chatmesh.Joined;
import io.chatmesh.NodeId;
import io.chatmesh.RoomEvent;
import io.chatmesh.RoomInfo;
import io.chatmesh.RoomListener;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.sequencer.InOrderDelivery;
import io.chatmesh.sequencer.Sequencer;
import io.chatmesh.twopc.TwoPhaseCommit;
import io.chatmesh.twopc.TwoPhaseCommit.Transaction;
import io.chatmesh.twopc.TwoPhaseCommit.Vote;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.InfoRequest;
import io.chatmesh.wire.JoinRequest;
import io.chatmesh.wire.LeaveRequest;
import io.chatmesh.wire.Lost;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.ResendRequest;
import io.chatmesh.wire.RoomTail;
import io.chatmesh.wire.SendRequest;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.SyncRequest;
import io.chatmesh.wire.WireMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything one node knows about one room, touched only on the room's {@link #lane}.
 *
 * <p><b>Admin role</b> (this node administers the room): the {@link Sequencer}, the members and the
 * set of member nodes, and a bounded resend buffer. Every change - message, join, leave - becomes
 * one {@link Sequenced} entry of the room's log, broadcast to exactly the nodes with members.
 *
 * <p><b>Member role</b> (this node has local members): local listeners, {@link InOrderDelivery}
 * that releases entries strictly by seq, gap detection with resend requests, and the count of
 * operations in flight to the admin (a deletion PREPARE is refused while it is non-zero).
 */
final class RoomState {
  private static final Logger log = LoggerFactory.getLogger(RoomState.class);
  private static final int MAX_RESEND_BATCH = 1000;

  final NodeEngine engine;
  final String name;
  final NodeId admin;
  final long epoch;
  final SerialExecutor lane;

  // ---- admin role
  private boolean isAdmin;
  private @Nullable Sequencer sequencer;
  private final TreeMap<UserId, Member> members = new TreeMap<>();
  private final Map<NodeId, Integer> memberNodes = new LinkedHashMap<>();
  private final ArrayDeque<Sequenced> resend = new ArrayDeque<>();
  private boolean deleting;

  // ---- member role
  private final LinkedHashMap<UserId, Local> locals = new LinkedHashMap<>();
  private final InOrderDelivery<Sequenced> delivery;
  private int inflight;
  private boolean unavailable;
  private @Nullable String preparedDelete;
  private boolean deleted;
  private long tailSeen;
  private long lastResendAt = Long.MIN_VALUE / 2;

  RoomState(NodeEngine engine, String name, NodeId admin, long epoch, SerialExecutor lane) {
    this.engine = engine;
    this.name = name;
    this.admin = admin;
    this.epoch = epoch;
    this.lane = lane;
    this.delivery = new InOrderDelivery<>(Sequenced::seq, engine.settings.resendBufferSize());
  }

  boolean isAdmin() {
    return isAdmin;
  }

  void becomeAdmin() {
    if (!isAdmin) {
      isAdmin = true;
      sequencer = Sequencer.create(epoch, 0, engine.settings.dedupWindow());
    }
  }

  // ================================================================ member role: API

  void join(UserId user, RoomListener listener, CompletableFuture<Joined> out) {
    if (!checkUsable(out, false)) {
      return;
    }
    if (locals.containsKey(user)) {
      out.completeExceptionally(
          new ChatException(ErrorCode.ALREADY_MEMBER, "user " + user + " already joined room '" + name + "' through node " + engine.self));
      return;
    }
    locals.put(user, new Local(listener));
    if (isAdmin) {
      onJoinReply(user, adminJoin(engine.self, user, 0), null, out);
    } else {
      forward(id -> new JoinRequest(id, name, user), (r, e) -> onJoinReply(user, r, e, out));
    }
  }

  private void onJoinReply(UserId user, @Nullable Reply r, @Nullable Throwable e, CompletableFuture<Joined> out) {
    ChatException error = error(r, e);
    if (error != null) {
      Local l = locals.get(user);
      if (l != null && !l.active) {
        locals.remove(user);
        afterMembershipChange();
      }
      out.completeExceptionally(error);
      return;
    }
    if (!delivery.started() && locals.containsKey(user)) {
      dispatch(delivery.startAt(r.seq()));
    }
    out.complete(new Joined(name, admin, r.epoch(), r.seq(), r.members()));
  }

  void leave(UserId user, CompletableFuture<Void> out) {
    if (deleted) {
      out.completeExceptionally(unknownRoom());
      return;
    }
    if (!locals.containsKey(user)) {
      out.completeExceptionally(notMember(user));
      return;
    }
    if (isAdmin) {
      onLeaveReply(user, adminLeave(engine.self, user, 0), null, out);
    } else {
      forward(id -> new LeaveRequest(id, name, user), (r, e) -> onLeaveReply(user, r, e, out));
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
    if (!checkUsable(out, true)) {
      return;
    }
    Local l = locals.get(user);
    if (l == null || !l.active) {
      out.completeExceptionally(
          l == null
              ? notMember(user)
              : new ChatException(ErrorCode.NOT_MEMBER, "user " + user + " has not finished joining room '" + name + "'"));
      return;
    }
    String cmid = clientMessageId != null ? clientMessageId : UUID.randomUUID().toString();
    if (isAdmin) {
      adminSend(engine.self, new SendRequest(0, name, user, cmid, text), reply -> onSendReply(reply, null, out));
    } else {
      forward(id -> new SendRequest(id, name, user, cmid, text), (r, e) -> onSendReply(r, e, out));
    }
  }

  private void onSendReply(@Nullable Reply r, @Nullable Throwable e, CompletableFuture<Sent> out) {
    ChatException error = error(r, e);
    if (error != null) {
      out.completeExceptionally(error);
    } else {
      out.complete(new Sent(name, r.epoch(), r.seq(), r.duplicate()));
    }
  }

  void info(CompletableFuture<RoomInfo> out) {
    if (deleted) {
      out.completeExceptionally(unknownRoom());
      return;
    }
    if (isAdmin) {
      Reply r = adminInfo(0);
      out.complete(new RoomInfo(name, admin, r.epoch(), r.seq(), r.members()));
      return;
    }
    if (!engine.isAlive(admin)) {
      out.completeExceptionally(unavailable());
      return;
    }
    forward(
        id -> new InfoRequest(id, name),
        (r, e) -> {
          ChatException error = error(r, e);
          if (error != null) {
            out.completeExceptionally(error);
          } else {
            out.complete(new RoomInfo(name, admin, r.epoch(), r.seq(), r.members()));
          }
        });
  }

  void delete(CompletableFuture<Void> out) {
    if (deleted) {
      out.completeExceptionally(unknownRoom());
      return;
    }
    if (!isAdmin) {
      out.completeExceptionally(
          new ChatException(
              ErrorCode.NOT_ADMIN,
              "room '" + name + "' is administered by node " + admin + "; only that node can delete it, not " + engine.self));
      return;
    }
    if (deleting) {
      out.completeExceptionally(new ChatException(ErrorCode.ABORTED, "room '" + name + "' is already being deleted"));
      return;
    }
    deleting = true;
    Set<NodeId> participants = new HashSet<>(memberNodes.keySet());
    participants.add(engine.self);
    engine
        .deleteRoom(name, participants)
        .whenComplete((res, e) -> lane.execute(() -> {
          if (e == null && res.outcome() == TwoPhaseCommit.Outcome.COMMITTED) {
            out.complete(null);
          } else {
            deleting = false;
            String why = e != null ? String.valueOf(e) : res.reason();
            out.completeExceptionally(NodeEngine.fromReason(why, ErrorCode.ABORTED, "deletion of room '" + name + "' aborted"));
          }
        }));
  }

  // ================================================================ admin role

  Reply adminJoin(NodeId from, UserId user, long requestId) {
    if (deleting) {
      return Reply.error(requestId, ErrorCode.UNAVAILABLE, "room '" + name + "' is being deleted");
    }
    Member m = members.get(user);
    if (m != null) {
      if (m.node.equals(from)) {
        return new Reply(requestId, null, "", epoch, m.joinSeq, true, List.copyOf(members.keySet()));
      }
      return Reply.error(
          requestId, ErrorCode.ALREADY_MEMBER, "user " + user + " is already a member of room '" + name + "' through node " + m.node);
    }
    memberNodes.merge(from, 1, Integer::sum);
    Sequenced e = sequence(EventKind.JOINED, user, "", null);
    members.put(user, new Member(from, e.seq()));
    broadcast(e);
    engine.memberCountChanged(name, members.size());
    return new Reply(requestId, null, "", epoch, e.seq(), false, List.copyOf(members.keySet()));
  }

  Reply adminLeave(NodeId from, UserId user, long requestId) {
    Member m = members.get(user);
    if (m == null || !m.node.equals(from)) {
      return new Reply(requestId, null, "", epoch, 0, true, List.copyOf(members.keySet())); // idempotent retry
    }
    Sequenced e = sequence(EventKind.LEFT, user, "", null);
    broadcast(e);
    removeMember(user, m);
    return new Reply(requestId, null, "", epoch, e.seq(), false, List.copyOf(members.keySet()));
  }

  void adminSend(NodeId from, SendRequest r, Consumer<Reply> reply) {
    long id = r.requestId();
    if (deleting) {
      reply.accept(Reply.error(id, ErrorCode.UNAVAILABLE, "room '" + name + "' is being deleted"));
      return;
    }
    Member m = members.get(r.user());
    if (m == null || !m.node.equals(from)) {
      reply.accept(Reply.error(id, ErrorCode.NOT_MEMBER, "user " + r.user() + " is not a member of room '" + name + "'"));
      return;
    }
    Sequencer seq = sequencer();
    OptionalLong dup = seq.lookup(r.user(), r.clientMessageId());
    if (dup.isPresent()) {
      reply.accept(new Reply(id, null, "", epoch, dup.getAsLong(), true, List.of()));
      return;
    }
    Sequenced e = sequence(EventKind.MESSAGE, r.user(), r.text(), r.clientMessageId());
    broadcast(e);
    reply.accept(new Reply(id, null, "", epoch, e.seq(), false, List.of()));
  }

  Reply adminInfo(long requestId) {
    return new Reply(requestId, null, "", epoch, sequencer().lastSeq(), false, List.copyOf(members.keySet()));
  }

  Reply adminSync(NodeId from, SyncRequest r) {
    List<UserId> still = new ArrayList<>();
    for (UserId u : r.users()) {
      Member m = members.get(u);
      if (m != null && m.node.equals(from)) {
        still.add(u);
      }
    }
    return new Reply(r.requestId(), null, "", epoch, sequencer().lastSeq(), false, still);
  }

  void adminResend(NodeId from, ResendRequest r) {
    long first = resend.isEmpty() ? sequencer().lastSeq() + 1 : resend.peekFirst().seq();
    long fromSeq = Math.max(1, r.fromSeq());
    long toSeq = Math.min(r.toSeq(), sequencer().lastSeq());
    if (fromSeq > toSeq) {
      return;
    }
    if (fromSeq < first) {
      long lostTo = Math.min(toSeq, first - 1);
      engine.send(from, new Lost(name, epoch, fromSeq, lostTo));
      fromSeq = lostTo + 1;
    }
    int sent = 0;
    for (Sequenced e : resend) {
      if (e.seq() >= fromSeq && e.seq() <= toSeq && sent < MAX_RESEND_BATCH) {
        engine.send(from, e);
        sent++;
      }
    }
    log.debug("{}: resent {} entries of '{}' to {}", engine.self, sent, name, from);
  }

  void adminTail() {
    if (!isAdmin || sequencer().lastSeq() == 0) {
      return;
    }
    RoomTail t = new RoomTail(name, epoch, sequencer().lastSeq());
    for (NodeId n : memberNodes.keySet()) {
      if (!n.equals(engine.self)) {
        engine.send(n, t);
      }
    }
  }

  private Sequenced sequence(EventKind kind, UserId user, String text, @Nullable String clientMessageId) {
    long seq = sequencer().next(user, clientMessageId);
    Sequenced e = new Sequenced(name, epoch, seq, kind, user, text, clientMessageId, engine.clock.millis());
    resend.addLast(e);
    while (resend.size() > engine.settings.resendBufferSize()) {
      resend.pollFirst();
    }
    return e;
  }

  private void broadcast(Sequenced e) {
    boolean local = false;
    for (NodeId n : memberNodes.keySet()) {
      if (n.equals(engine.self)) {
        local = true;
      } else {
        engine.send(n, e);
      }
    }
    if (local) {
      memberDeliver(e);
    }
  }

  private void removeMember(UserId user, Member m) {
    members.remove(user);
    memberNodes.computeIfPresent(m.node, (k, v) -> v <= 1 ? null : v - 1);
    engine.memberCountChanged(name, members.size());
  }

  private Sequencer sequencer() {
    Sequencer s = sequencer;
    if (s == null) {
      throw new IllegalStateException("node " + engine.self + " does not administer room " + name);
    }
    return s;
  }

  // ================================================================ member role: log delivery

  void memberDeliver(Sequenced s) {
    if (locals.isEmpty() || deleted) {
      return;
    }
    if (!delivery.started()) {
      Local l = locals.get(s.user());
      delivery.offer(s);
      if (s.kind() == EventKind.JOINED && l != null && !l.active) {
        dispatch(delivery.startAt(s.seq()));
      }
      return;
    }
    dispatch(delivery.offer(s));
    maybeResend();
  }

  void memberTail(NodeId from, RoomTail t) {
    if (!from.equals(admin) || locals.isEmpty()) {
      return;
    }
    tailSeen = Math.max(tailSeen, t.lastSeq());
    maybeResend();
  }

  void memberLost(Lost l) {
    if (!delivery.started() || locals.isEmpty()) {
      return;
    }
    long next = delivery.nextExpected();
    if (l.fromSeq() <= next && l.toSeq() >= next) {
      log.warn("{}: entries {}..{} of room '{}' could not be recovered", engine.self, next, l.toSeq(), name);
      fire(new RoomEvent.MessagesLost(name, l.epoch(), next, l.toSeq()), false);
      dispatch(delivery.skipTo(l.toSeq() + 1));
    }
  }

  /** The admin says the room does not exist there (deleted, or the admin restarted). */
  void memberGone(NodeId from, String reason) {
    if (!from.equals(admin) || deleted || isAdmin) {
      return;
    }
    finish(new RoomEvent.RoomDeleted(name, reason));
  }

  private void maybeResend() {
    if (!delivery.started() || isAdmin) {
      return;
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
    engine.send(admin, new ResendRequest(name, next, Math.min(to, next + MAX_RESEND_BATCH - 1)));
  }

  private void dispatch(List<Sequenced> entries) {
    for (Sequenced s : entries) {
      RoomEvent event;
      UserId removeAfter = null;
      switch (s.kind()) {
        case MESSAGE -> event = new ChatMessage(name, s.epoch(), s.seq(), s.user(), s.text(), s.clientMessageId(), s.timestamp());
        case JOINED -> {
          event = new RoomEvent.MemberJoined(name, s.epoch(), s.seq(), s.user(), s.timestamp());
          Local l = locals.get(s.user());
          if (l != null) {
            l.active = true;
          }
        }
        case LEFT -> {
          // the leaver learns from its completed leave(); it gets no event of its own
          locals.remove(s.user());
          event = new RoomEvent.MemberLeft(name, s.epoch(), s.seq(), s.user(), RoomEvent.LeaveReason.LEFT, s.timestamp());
        }
        case NODE_FAILED -> {
          event = new RoomEvent.MemberLeft(name, s.epoch(), s.seq(), s.user(), RoomEvent.LeaveReason.NODE_FAILED, s.timestamp());
          removeAfter = s.user();
        }
        default -> throw new IllegalStateException("unknown kind " + s.kind());
      }
      fire(event, false);
      if (removeAfter != null) {
        locals.remove(removeAfter);
      }
    }
    if (!entries.isEmpty()) {
      afterMembershipChange();
    }
  }

  private void fire(RoomEvent event, boolean includePending) {
    for (Map.Entry<UserId, Local> e : new ArrayList<>(locals.entrySet())) {
      Local l = e.getValue();
      if (l.active || includePending) {
        try {
          l.listener.onEvent(event);
        } catch (RuntimeException ex) {
          log.warn("listener of {} in room '{}' failed on {}", e.getKey(), name, event, ex);
        }
      }
    }
  }

  private void afterMembershipChange() {
    if (locals.isEmpty()) {
      delivery.reset();
      tailSeen = 0;
      maybeForget();
    }
  }

  private void maybeForget() {
    if (!isAdmin && locals.isEmpty() && inflight == 0 && preparedDelete == null) {
      engine.forget(this);
    }
  }

  // ================================================================ failures

  void onNodeDown(NodeId node, String reason) {
    if (isAdmin) {
      for (Map.Entry<UserId, Member> e : new ArrayList<>(members.entrySet())) {
        if (e.getValue().node.equals(node)) {
          Sequenced s = sequence(EventKind.NODE_FAILED, e.getKey(), "", null);
          broadcast(s);
          removeMember(e.getKey(), e.getValue());
        }
      }
      memberNodes.remove(node);
    } else if (node.equals(admin) && !unavailable && !locals.isEmpty()) {
      unavailable = true;
      fire(new RoomEvent.RoomUnavailable(name, "admin node " + admin + " is unreachable: " + reason), true);
    }
  }

  void onNodeUp(NodeId node) {
    if (!node.equals(admin) || isAdmin || !unavailable) {
      return;
    }
    unavailable = false;
    fire(new RoomEvent.RoomAvailable(name), true);
    List<UserId> mine = new ArrayList<>(locals.keySet());
    if (mine.isEmpty()) {
      return;
    }
    forward(
        id -> new SyncRequest(id, name, mine),
        (r, e) -> {
          ChatException error = error(r, e);
          if (error != null) {
            if (error.code() == ErrorCode.UNKNOWN_ROOM) {
              memberGone(admin, "room '" + name + "' no longer exists on its admin node " + admin);
            }
            return;
          }
          Set<UserId> still = new HashSet<>(r.members());
          for (UserId u : mine) {
            Local l = locals.get(u);
            if (l != null && !still.contains(u)) {
              locals.remove(u);
              safeCall(l, new RoomEvent.MemberLeft(name, epoch, 0, u, RoomEvent.LeaveReason.REMOVED, engine.clock.millis()));
            }
          }
          tailSeen = Math.max(tailSeen, r.seq());
          afterMembershipChange();
          maybeResend();
        });
  }

  // ================================================================ deletion (2PC participant)

  Vote prepareDelete(Transaction tx) {
    if (inflight > 0) {
      return Vote.abort(
          "ABORTED: node " + engine.self + " has " + inflight + " operation(s) for room '" + name + "' in flight to its admin");
    }
    if (preparedDelete != null && !preparedDelete.equals(tx.id())) {
      return Vote.abort("ABORTED: another deletion of room '" + name + "' is in progress");
    }
    preparedDelete = tx.id();
    return Vote.readyVote();
  }

  void commitDelete(Transaction tx) {
    if (deleted) {
      return;
    }
    finish(new RoomEvent.RoomDeleted(name, "deleted by its admin node " + admin));
    if (isAdmin) {
      engine.roomDeleted(name);
    }
  }

  void rollbackDelete(Transaction tx) {
    if (tx.id().equals(preparedDelete)) {
      preparedDelete = null;
      maybeForget();
    }
  }

  private void finish(RoomEvent.RoomDeleted event) {
    deleted = true;
    fire(event, true);
    locals.clear();
    delivery.reset();
    preparedDelete = null;
    engine.forget(this);
    engine.directory.computeIfPresent(name, (k, v) -> v.admin().equals(admin) && !engine.self.equals(admin) ? null : v);
  }

  // ================================================================ helpers

  private <T> boolean checkUsable(CompletableFuture<T> out, boolean needAdmin) {
    if (deleted) {
      out.completeExceptionally(unknownRoom());
      return false;
    }
    if (preparedDelete != null || deleting) {
      out.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE, "room '" + name + "' is being deleted"));
      return false;
    }
    if (!isAdmin && (unavailable || !engine.isAlive(admin))) {
      out.completeExceptionally(unavailable());
      return false;
    }
    return true;
  }

  /** Sends a request to the admin; the continuation runs on this lane. */
  private void forward(LongFunction<WireMessage> build, java.util.function.BiConsumer<@Nullable Reply, @Nullable Throwable> then) {
    inflight++;
    engine
        .requests
        .send(admin, build, m -> engine.send(admin, m))
        .whenComplete((r, e) -> lane.execute(() -> {
          inflight--;
          then.accept(r, e);
          maybeForget();
        }));
  }

  private static @Nullable ChatException error(@Nullable Reply r, @Nullable Throwable e) {
    if (e != null) {
      return ChatException.from(e);
    }
    if (r == null) {
      return new ChatException(ErrorCode.INTERNAL, "no reply");
    }
    if (r.error() != null) {
      return new ChatException(r.error(), r.message());
    }
    return null;
  }

  private ChatException unknownRoom() {
    return new ChatException(ErrorCode.UNKNOWN_ROOM, "room '" + name + "' does not exist (any more)");
  }

  private ChatException unavailable() {
    return new ChatException(ErrorCode.UNAVAILABLE, "room '" + name + "' is unavailable: its admin node " + admin + " is unreachable");
  }

  private ChatException notMember(UserId user) {
    return new ChatException(ErrorCode.NOT_MEMBER, "user " + user + " has not joined room '" + name + "' on node " + engine.self);
  }

  private void safeCall(Local l, RoomEvent e) {
    try {
      l.listener.onEvent(e);
    } catch (RuntimeException ex) {
      log.warn("listener in room '{}' failed on {}", name, e, ex);
    }
  }

  private record Member(NodeId node, long joinSeq) {}

  private static final class Local {
    final RoomListener listener;
    boolean active;

    Local(RoomListener listener) {
      this.listener = listener;
    }
  }
}
