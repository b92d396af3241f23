package io.chatmesh.internal;

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
import io.chatmesh.sequencer.Sequencer;
import io.chatmesh.twopc.TwoPhaseCommit;
import io.chatmesh.twopc.TwoPhaseCommit.Transaction;
import io.chatmesh.twopc.TwoPhaseCommit.Vote;
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
import io.chatmesh.wire.RoomGone;
import io.chatmesh.wire.RoomTail;
import io.chatmesh.wire.SendRequest;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.SyncRequest;
import io.chatmesh.wire.WireMessage;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
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
 * <p><b>Durability rule</b> (admin): an entry is appended to the node's {@link
 * io.chatmesh.spi.history.HistoryStore} right after it is sequenced; it is broadcast to the members
 * and the requester is answered (send ack, join/leave reply) only when the append's future has
 * completed, so every acknowledged entry is in the store. The pipeline, its failure handling and
 * its fencing are in {@link AppendPipeline}.
 *
 * <p><b>Member role</b> (this node has local members): local listeners, {@link InOrderDelivery}
 * that releases entries strictly by seq, gap detection with resend requests, and the count of
 * operations in flight to the admin (a deletion PREPARE is refused while it is non-zero).
 */
final class RoomState {
  private static final Logger log = LoggerFactory.getLogger(RoomState.class);

  /**
   * Flow control, member side: a node forwards at most this many sends per room to the admin at a
   * time, and none while the transport reports the link to the admin as congested; later sends
   * wait here in order and go out as answers come back (or the link drains), so a burst becomes
   * latency at the sender instead of an overflowing link.
   */
  static final int MAX_SENDS_IN_FLIGHT = 1_024;
  /** Sends that may wait for the window per room and node before {@code send} fails UNAVAILABLE. */
  static final int MAX_WAITING_SENDS = 100_000;
  /**
   * Flow control, admin side: sends held while a member node's link is congested, per room,
   * before further sends are refused UNAVAILABLE.
   */
  static final int MAX_HELD_SENDS = 100_000;
  /** How often held sends re-check whether the member links take traffic again. */
  private static final Duration HOLD_RECHECK = Duration.ofMillis(1);

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
  private final ResendBuffer resend;
  private boolean deleting;
  /** Appends sequenced entries to the store and releases them in seq order once durable. */
  private final AppendPipeline pipeline;
  /** Sends held while the link to a member node is congested (see {@link #adminSend}). */
  private final SendHold held;
  /**
   * Ownership (admin role), rebuilt from the log's SETTINGS/INVITED/UNINVITED entries: the owner
   * (null for a room created without one), whether the room is private, and who is invited.
   */
  private @Nullable UserId owner;
  private boolean privateRoom;
  private final Set<UserId> invited = new HashSet<>();

  // ---- member role
  private final LinkedHashMap<UserId, LocalSession> locals = new LinkedHashMap<>();
  private final InOrderDelivery<Sequenced> delivery;
  private int inflight;
  /** Sends forwarded to the admin (at most {@link #MAX_SENDS_IN_FLIGHT}) and those waiting for a slot. */
  private final ForwardWindow sendWindow;
  private final CatchUpRoom catchUpRoom = new CatchUpRoom();
  private boolean unavailable;
  private @Nullable String preparedDelete;
  private boolean deleted;
  private long tailSeen;
  private long lastResendAt = Long.MIN_VALUE / 2;
  /** Users joined through this node, for {@link NodeEngine#metrics()} (read off the lane). */
  volatile int localCount;

  RoomState(NodeEngine engine, String name, NodeId admin, long epoch, SerialExecutor lane) {
    this.engine = engine;
    this.name = name;
    this.admin = admin;
    this.epoch = epoch;
    this.lane = lane;
    this.delivery = new InOrderDelivery<>(Sequenced::seq, engine.settings.resendBufferSize());
    this.resend = new ResendBuffer(engine.settings.resendBufferSize());
    this.sendWindow = new ForwardWindow(MAX_SENDS_IN_FLIGHT, MAX_WAITING_SENDS, new SendOutlet());
    this.pipeline = new AppendPipeline(new PipelineRoom(), engine.metrics);
    this.held = new SendHold(name, engine.self, MAX_HELD_SENDS, engine.metrics.sendsHeld, new HoldHost());
  }

  boolean isAdmin() {
    return isAdmin;
  }

  /** Makes this node the admin of a newly created room and records it in the history store. */
  void becomeAdmin() {
    lane.assertCurrent();
    if (!isAdmin) {
      isAdmin = true;
      sequencer = engine.settings.sequencers().create(epoch, 0, engine.settings.dedupWindow());
      // the first appends wait for the store writes queued before this creation (the deletion of
      // an earlier room of this name, whose entries have another epoch), not for the record below
      CompletableFuture<Void> earlierWrites = new CompletableFuture<>();
      pipeline.appendAfter(earlierWrites);
      engine.writeStore("let room '" + name + "' append", () -> earlierWrites.complete(null));
      // off the lane: a JDBC store blocks
      engine.writeStore(
          "record room '" + name + "' in the history store; it will not be restored after a restart",
          () -> engine.history.saveRoom(name, engine.self, epoch));
    }
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
    isAdmin = true;
    for (Sequenced e : settings) {
      applySettings(e);
    }
    Sequencer s = engine.settings.sequencers().create(epoch, lastSeq, engine.settings.dedupWindow());
    for (Sequenced e : recent) {
      if (e.clientMessageId() != null) {
        s.remember(e.user(), e.clientMessageId(), e.seq());
      }
    }
    sequencer = s;
    for (UserId u : formerMembers) {
      pipeline.persist(sequence(EventKind.NODE_FAILED, u, "", null), memberNodes.keySet(), null, null, null);
    }
    pipeline.restoredAt(lastSeq);
  }

  // ================================================================ ownership (admin role)

  /** Whether an entry of this kind changes the room's ownership settings (and is no room event). */
  static boolean isSettings(EventKind kind) {
    return kind == EventKind.SETTINGS || kind == EventKind.INVITED || kind == EventKind.UNINVITED;
  }

  /** Applies a SETTINGS, INVITED or UNINVITED entry to the admin's ownership state. */
  private void applySettings(Sequenced e) {
    switch (e.kind()) {
      case SETTINGS -> {
        owner = e.user();
        privateRoom = e.text().equals("private");
      }
      case INVITED -> invited.add(e.user());
      case UNINVITED -> invited.remove(e.user());
      default -> { }
    }
  }

  /**
   * Records the room's creator as its owner, and whether the room is private, as the room's first
   * entry (admin role, right after the creation committed); {@code done} completes once durable.
   */
  void adminInitSettings(UserId creator, boolean isPrivate, CompletableFuture<Void> done) {
    lane.assertCurrent();
    becomeAdmin();
    Sequenced e = sequence(EventKind.SETTINGS, creator, isPrivate ? "private" : "public", null);
    applySettings(e);
    pipeline.persist(e, memberNodes.keySet(), null, r -> {
      if (r.error() == null) {
        done.complete(null);
      } else {
        done.completeExceptionally(new ChatException(r.error(), r.message()));
      }
    }, new Reply(0, null, "", epoch, e.seq(), false, List.of()));
  }

  /** Invites or uninvites {@code user} on behalf of {@code by}, who must own the room. */
  void adminInvite(UserId by, UserId user, boolean invite, long requestId, Consumer<Reply> reply) {
    lane.assertCurrent();
    Reply refused = refuseWrites(requestId);
    if (refused != null) {
      reply.accept(refused);
      return;
    }
    if (owner == null || !owner.equals(by)) {
      reply.accept(Reply.error(requestId, ErrorCode.FORBIDDEN, notOwner(by, invite ? "invite users to it" : "withdraw invitations")));
      return;
    }
    if (invite == invited.contains(user)) {
      reply.accept(new Reply(requestId, null, "", epoch, 0, true, List.of())); // already so
      return;
    }
    Sequenced e = sequence(invite ? EventKind.INVITED : EventKind.UNINVITED, user, "", null);
    applySettings(e);
    pipeline.persist(e, memberNodes.keySet(), null, reply, new Reply(requestId, null, "", epoch, e.seq(), false, List.of()));
  }

  private String notOwner(UserId by, String what) {
    return owner == null
        ? "room '" + name + "' has no owner; no user may " + what
        : "only the owner of room '" + name + "' (" + owner + ") may " + what + ", not " + by;
  }

  /** Member side of {@link #adminInvite}: asks the admin (or is it). */
  void invite(UserId by, UserId user, boolean invite, CompletableFuture<Void> out) {
    if (!checkUsable(out, true)) {
      return;
    }
    if (isAdmin) {
      adminInvite(by, user, invite, 0, r -> completeVoid(r, null, out));
    } else {
      forward(id -> new InviteRequest(id, name, by, user, invite), (r, e) -> completeVoid(r, e, out));
    }
  }

  private static void completeVoid(@Nullable Reply r, @Nullable Throwable e, CompletableFuture<Void> out) {
    ChatException error = error(r, e);
    if (error != null) {
      out.completeExceptionally(error);
    } else {
      out.complete(null);
    }
  }

  // ================================================================ member role: API

  void join(UserId user, RoomListener listener, JoinOptions options, CompletableFuture<Joined> out) {
    if (!checkUsable(out, false)) {
      return;
    }
    if (locals.containsKey(user)) {
      out.completeExceptionally(
          new ChatException(ErrorCode.ALREADY_MEMBER, "user " + user + " already joined room '" + name + "' through node " + engine.self));
      return;
    }
    LocalSession local = new LocalSession(listener, options);
    locals.put(user, local);
    localCount = locals.size();
    if (isAdmin) {
      adminJoin(engine.self, user, 0, r -> onJoinReply(user, local, r, null, out));
    } else {
      forward(id -> new JoinRequest(id, name, user), (r, e) -> onJoinReply(user, local, r, e, out));
    }
  }

  private void onJoinReply(UserId user, LocalSession local, @Nullable Reply r, @Nullable Throwable e, CompletableFuture<Joined> out) {
    ChatException error = error(r, e);
    if (error != null) {
      LocalSession l = locals.get(user);
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
    if (r.duplicate() && locals.get(user) == local && !local.active) {
      local.active = true; // already a member (through another node): no JOINED entry will come
    }
    if (local.held == null || locals.get(user) != local) {
      out.complete(new Joined(name, admin, r.epoch(), r.seq(), r.members(), true));
      return;
    }
    new JoinCatchUp(catchUpRoom, user, local, r, out, r.seq()).start();
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
      adminLeave(engine.self, user, 0, r -> onLeaveReply(user, r, null, out));
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
    long started = System.nanoTime();
    if (!checkUsable(out, true)) {
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
    if (isAdmin) {
      adminSend(engine.self, new SendRequest(0, name, user, cmid, text), reply -> onSendReply(reply, null, out, started));
    } else {
      switch (sendWindow.offer(new ForwardWindow.Send(user, text, cmid, out, started))) {
        case FULL -> {
          engine.metrics.sendRefused(ErrorCode.UNAVAILABLE);
          out.completeExceptionally(
              new ChatException(
                  ErrorCode.UNAVAILABLE,
                  "room '" + name + "': " + sendWindow.waiting() + " sends from node " + engine.self
                      + " are already waiting for its admin " + admin + "; slow down and retry"));
        }
        case WAITING -> engine.metrics.sendsWaited.increment();
        case FORWARDED -> { }
      }
    }
  }

  /** How the member side's {@link ForwardWindow} reaches the admin. */
  /** How the admin's {@link AppendPipeline} reaches the store and the member nodes. */
  private final class PipelineRoom implements AppendPipeline.Room {
    @Override
    public String name() {
      return name;
    }

    @Override
    public NodeId self() {
      return engine.self;
    }

    @Override
    public CompletableFuture<Void> store(List<Sequenced> entries) {
      return engine.history.append(HistoryEntries.toStored(entries));
    }

    @Override
    public void release(Sequenced e, Collection<NodeId> recipients, @Nullable NodeId extra) {
      broadcast(e, recipients, extra);
    }

    @Override
    public boolean retrying() {
      return isAdmin && !deleted && engine.running();
    }

    @Override
    public void onLane(Runnable task) {
      lane.execute(task);
    }

    @Override
    public void later(Duration delay, Runnable task) {
      engine.clock.schedule(delay, () -> lane.execute(task));
    }
  }

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
      return admin;
    }

    @Override
    public boolean current(UserId user, LocalSession session) {
      return locals.get(user) == session;
    }

    @Override
    public void fetch(long after, long before, int limit, BiConsumer<@Nullable HistoryReply, @Nullable Throwable> then) {
      request(id -> new HistoryRequest(id, name, after, before, limit, false, false), then);
    }

    @Override
    public void countLost(long n) {
      engine.metrics.messagesLost.add(n);
    }
  }

  private final class SendOutlet implements ForwardWindow.Outlet {
    @Override
    public boolean linkWritable() {
      return engine.writable(admin);
    }

    @Override
    public boolean stillUsable(ForwardWindow.Send w) {
      if (checkUsable(w.out(), true)) {
        return true;
      }
      engine.metrics.sendRefused(ChatException.from(w.out().handle((v, e) -> e).join()).code());
      return false;
    }

    @Override
    public void forward(ForwardWindow.Send w) {
      RoomState.this.forward(
          id -> new SendRequest(id, name, w.user(), w.clientMessageId(), w.text()),
          (r, e) -> {
            sendWindow.answered();
            onSendReply(r, e, w.out(), w.started());
            sendWindow.pump();
          });
    }

    @Override
    public void later(Runnable task) {
      recheckLater(task);
    }

    @Override
    public void emptied() {
      maybeForget();
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
    if (deleted) {
      out.completeExceptionally(unknownRoom());
      return;
    }
    if (!isAdmin && !engine.isAlive(admin)) {
      out.completeExceptionally(unavailable());
      return;
    }
    request(
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
    if (deleted) {
      out.completeExceptionally(unknownRoom());
      return;
    }
    if (isAdmin) {
      String fenced = pipeline.fenced();
      if (fenced != null) {
        out.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE, fenced));
        return;
      }
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

  void delete(@Nullable UserId by, CompletableFuture<Void> out) {
    lane.assertCurrent();
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
    if (by != null && (owner == null || !owner.equals(by))) {
      out.completeExceptionally(new ChatException(ErrorCode.FORBIDDEN, notOwner(by, "delete it")));
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
            String context = "deletion of room '" + name + "' aborted";
            out.completeExceptionally(
                e != null ? new ChatException(ErrorCode.ABORTED, context + ": " + e) : res.failure(ErrorCode.ABORTED, context));
          }
        }));
  }

  // ================================================================ admin role

  void adminJoin(NodeId from, UserId user, long requestId, Consumer<Reply> reply) {
    lane.assertCurrent();
    Reply refused = refuseWrites(requestId);
    if (refused != null) {
      reply.accept(refused);
      return;
    }
    if (privateRoom && !user.equals(owner) && !invited.contains(user)) {
      reply.accept(Reply.error(requestId, ErrorCode.FORBIDDEN,
          "room '" + name + "' is private: only its owner and invited users may join, not " + user));
      return;
    }
    Member m = members.get(user);
    if (m != null) {
      if (m.nodes.contains(from)) {
        pipeline.whenDurable(m.joinSeq, reply, new Reply(requestId, null, "", epoch, m.joinSeq, true, List.copyOf(members.keySet())));
        return;
      }
      // the same user through one more node (another device): member events are per user, so no
      // JOINED entry; the node receives every entry from the next seq on, and the history below it
      // once that is durable
      m.nodes.add(from);
      memberNodes.merge(from, 1, Integer::sum);
      long last = pipeline.last();
      pipeline.whenDurable(last, reply, new Reply(requestId, null, "", epoch, last + 1, true, List.copyOf(members.keySet())));
      return;
    }
    int limit = engine.settings.maxMembersPerRoom();
    if (members.size() >= limit) {
      reply.accept(Reply.error(
          requestId, ErrorCode.ROOM_FULL, "room '" + name + "' has its maximum of " + limit + " members (maxMembersPerRoom)"));
      return;
    }
    memberNodes.merge(from, 1, Integer::sum);
    Sequenced e = sequence(EventKind.JOINED, user, "", null);
    members.put(user, new Member(user, new LinkedHashSet<>(List.of(from)), e.seq()));
    engine.directory.memberCountChanged(name, members.size());
    pipeline.persist(e, memberNodes.keySet(), null, reply, new Reply(requestId, null, "", epoch, e.seq(), false, List.copyOf(members.keySet())));
  }

  void adminLeave(NodeId from, UserId user, long requestId, Consumer<Reply> reply) {
    lane.assertCurrent();
    Member m = members.get(user);
    if (m == null || !m.nodes.contains(from)) {
      reply.accept(new Reply(requestId, null, "", epoch, 0, true, List.copyOf(members.keySet()))); // idempotent retry
      return;
    }
    Reply refused = refuseWrites(requestId);
    if (refused != null) {
      reply.accept(refused);
      return;
    }
    if (m.nodes.size() > 1) {
      // still a member through another node: no LEFT entry (member events are per user)
      removeMemberNode(user, m, from);
      reply.accept(new Reply(requestId, null, "", epoch, 0, false, List.copyOf(members.keySet())));
      return;
    }
    Sequenced e = sequence(EventKind.LEFT, m.user, "", null);
    removeMember(user, m);
    // the leaver's node still gets its LEFT entry, although it is no longer a member node
    pipeline.persist(e, memberNodes.keySet(), from, reply, new Reply(requestId, null, "", epoch, e.seq(), false, List.copyOf(members.keySet())));
  }

  /**
   * A chat message to sequence. Flow control: while the transport reports a member node's link as
   * congested ({@link NodeEngine#writable}), sends are held in arrival order instead of being
   * sequenced and broadcast into a link that would have to drop them; they are sequenced when every
   * member link takes traffic again (re-checked every {@link #HOLD_RECHECK}). The senders' futures
   * (and the forwarders' windows) wait meanwhile, which slows the senders down. Past {@link
   * #MAX_HELD_SENDS} a send is refused UNAVAILABLE. A forwarder's retry of a held request is not
   * held twice.
   */
  void adminSend(NodeId from, SendRequest r, Consumer<Reply> reply) {
    lane.assertCurrent();
    held.submit(from, r, reply);
  }

  /** How the admin's {@link SendHold} sees the member links and sequences what it released. */
  private final class HoldHost implements SendHold.Host {
    @Override
    public boolean congested() {
      return membersCongested();
    }

    @Override
    public void sendNow(NodeId from, SendRequest r, Consumer<Reply> reply) {
      adminSendNow(from, r, reply);
    }

    @Override
    public @Nullable Reply refusal(long requestId) {
      if (deleted) {
        return Reply.error(requestId, ErrorCode.UNKNOWN_ROOM, "room '" + name + "' was deleted");
      }
      if (!isAdmin) {
        return Reply.error(requestId, ErrorCode.NOT_ADMIN, "node " + engine.self + " is no longer the admin of room '" + name + "'");
      }
      return null;
    }

    @Override
    public void later(Runnable task) {
      recheckLater(task);
    }
  }

  /** Runs {@code task} on the lane after {@link #HOLD_RECHECK} (flow control re-checks the links). */
  private void recheckLater(Runnable task) {
    engine.clock.schedule(HOLD_RECHECK, () -> lane.execute(task));
  }

  private boolean membersCongested() {
    for (NodeId n : memberNodes.keySet()) {
      if (!engine.writable(n)) {
        return true;
      }
    }
    return false;
  }

  private void adminSendNow(NodeId from, SendRequest r, Consumer<Reply> reply) {
    long id = r.requestId();
    Reply refused = refuseWrites(id);
    if (refused != null) {
      reply.accept(refused);
      return;
    }
    Member m = members.get(r.user());
    if (m == null || !m.nodes.contains(from)) {
      reply.accept(Reply.error(id, ErrorCode.NOT_MEMBER, "user " + r.user() + " is not a member of room '" + name + "'"));
      return;
    }
    // the member's own UserId instance, not the one decoded from this request: every retained entry
    // (resend buffer, in-memory history, dedup window) then shares one copy per member
    UserId user = m.user;
    Sequencer seq = sequencer();
    OptionalLong dup = seq.lookup(user, r.clientMessageId());
    if (dup.isPresent()) {
      engine.metrics.dedupHits.increment();
      pipeline.whenDurable(dup.getAsLong(), reply, new Reply(id, null, "", epoch, dup.getAsLong(), true, List.of()));
      return;
    }
    Sequenced e = sequence(EventKind.MESSAGE, user, r.text(), r.clientMessageId());
    pipeline.persist(e, memberNodes.keySet(), null, reply, new Reply(id, null, "", epoch, e.seq(), false, List.of()));
  }

  /** Serves a history read off the lane (the store may block), bounded by the durable seq. */
  void adminHistory(NodeId from, HistoryRequest r) {
    lane.assertCurrent();
    String fenced = pipeline.fenced();
    if (fenced != null) {
      engine.send(from, HistoryReply.error(r.requestId(), ErrorCode.UNAVAILABLE, fenced));
      return;
    }
    long durable = pipeline.released();
    long before = Math.min(r.beforeSeq(), durable + 1);
    engine.readHistory(() -> {
      HistoryReply reply;
      try {
        List<Sequenced> entries = readRange(r.afterSeq(), before, Math.min(r.limit(), HistoryRequest.MAX_LIMIT), r.newest(), r.messagesOnly());
        reply = new HistoryReply(r.requestId(), null, "", epoch, durable, engine.history.oldestSeq(name), entries);
      } catch (RuntimeException e) {
        ChatException ce = ChatException.from(e);
        log.warn("{}: history of room '{}' could not be read: {}", engine.self, name, ce.getMessage());
        reply = HistoryReply.error(r.requestId(), ce.code(), "history of room '" + name + "' could not be read: " + ce.getMessage());
      }
      engine.send(from, reply);
    });
  }

  /** Entries with after &lt; seq &lt; before from the store; pages until {@code limit} messages when messagesOnly. */
  private List<Sequenced> readRange(long after, long before, int limit, boolean newest, boolean messagesOnly) {
    ArrayDeque<Sequenced> out = new ArrayDeque<>();
    long lo = after;
    long hi = before;
    for (int page = 0; page < 50 && out.size() < limit && hi - lo > 1; page++) {
      List<Sequenced> got =
          HistoryEntries.fromStored(newest ? engine.history.readBefore(name, hi, limit) : engine.history.readAfter(name, lo, limit));
      if (got.isEmpty()) {
        break;
      }
      if (newest) {
        for (int i = got.size() - 1; i >= 0 && out.size() < limit; i--) {
          Sequenced s = got.get(i);
          if (s.seq() > after && (!messagesOnly || s.kind() == EventKind.MESSAGE)) {
            out.addFirst(s);
          }
        }
        hi = got.get(0).seq();
      } else {
        for (Sequenced s : got) {
          if (s.seq() >= before || out.size() >= limit) {
            break;
          }
          if (!messagesOnly || s.kind() == EventKind.MESSAGE) {
            out.addLast(s);
          }
        }
        lo = got.get(got.size() - 1).seq();
      }
      if (!messagesOnly) {
        break;
      }
    }
    return List.copyOf(out);
  }

  Reply adminInfo(long requestId) {
    return new Reply(requestId, null, "", epoch, pipeline.released(), false, List.copyOf(members.keySet()));
  }

  Reply adminSync(NodeId from, SyncRequest r) {
    List<UserId> still = new ArrayList<>();
    for (UserId u : r.users()) {
      Member m = members.get(u);
      if (m != null && m.nodes.contains(from)) {
        still.add(u);
      }
    }
    return new Reply(r.requestId(), null, "", epoch, pipeline.released(), false, still);
  }

  void adminResend(NodeId from, ResendRequest r) {
    lane.assertCurrent();
    int sent = resend.serve(name, epoch, r.fromSeq(), r.toSeq(), pipeline.released(), m -> engine.send(from, m));
    if (sent == 0 && Math.max(1, r.fromSeq()) > Math.min(r.toSeq(), pipeline.released())) {
      return; // nothing released in the range: not counted, not logged
    }
    engine.metrics.entriesResent.add(sent);
    log.debug("{}: resent {} entries of '{}' to {}", engine.self, sent, name, from);
  }

  void adminTail() {
    lane.assertCurrent();
    if (!isAdmin || pipeline.released() == 0) {
      return;
    }
    RoomTail t = new RoomTail(name, epoch, pipeline.released());
    for (NodeId n : memberNodes.keySet()) {
      if (!n.equals(engine.self)) {
        engine.send(n, t);
      }
    }
  }

  private Sequenced sequence(EventKind kind, UserId user, String text, @Nullable String clientMessageId) {
    long seq = sequencer().next(user, clientMessageId);
    Sequenced e = new Sequenced(name, epoch, seq, kind, user, text, clientMessageId, engine.clock.millis());
    resend.add(e);
    return e;
  }

  private void broadcast(Sequenced e, Iterable<NodeId> nodes, @Nullable NodeId extra) {
    boolean local = engine.self.equals(extra);
    for (NodeId n : nodes) {
      if (n.equals(engine.self)) {
        local = true;
      } else if (!n.equals(extra)) {
        engine.send(n, e);
      }
    }
    if (extra != null && !extra.equals(engine.self)) {
      engine.send(extra, e);
    }
    if (local) {
      memberDeliver(e);
    }
  }

  /** UNAVAILABLE while the room is being deleted, fenced, or its history store fails; else null. */
  private @Nullable Reply refuseWrites(long requestId) {
    if (deleting) {
      return Reply.error(requestId, ErrorCode.UNAVAILABLE, "room '" + name + "' is being deleted");
    }
    return pipeline.refusal(requestId);
  }

  private void removeMember(UserId user, Member m) {
    members.remove(user);
    for (NodeId n : m.nodes) {
      memberNodes.computeIfPresent(n, (k, v) -> v <= 1 ? null : v - 1);
    }
    engine.directory.memberCountChanged(name, members.size());
  }

  /** {@code user} stays a member through its other nodes, no longer through {@code node}. */
  private void removeMemberNode(UserId user, Member m, NodeId node) {
    m.nodes.remove(node);
    memberNodes.computeIfPresent(node, (k, v) -> v <= 1 ? null : v - 1);
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
    lane.assertCurrent();
    if (locals.isEmpty() || deleted) {
      return;
    }
    if (!delivery.started()) {
      LocalSession l = locals.get(s.user());
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
    lane.assertCurrent();
    if (!from.equals(admin) || locals.isEmpty()) {
      return;
    }
    tailSeen = Math.max(tailSeen, t.lastSeq());
    maybeResend();
  }

  void memberLost(Lost l) {
    lane.assertCurrent();
    if (!delivery.started() || locals.isEmpty()) {
      return;
    }
    long next = delivery.nextExpected();
    if (l.fromSeq() <= next && l.toSeq() >= next) {
      log.warn("{}: entries {}..{} of room '{}' could not be recovered", engine.self, next, l.toSeq(), name);
      engine.metrics.messagesLost.add(l.toSeq() - next + 1);
      fire(new RoomEvent.MessagesLost(name, l.epoch(), next, l.toSeq()), false);
      dispatch(delivery.skipTo(l.toSeq() + 1));
    }
  }

  /** The admin says the room does not exist there (deleted, or the admin restarted). */
  void memberGone(NodeId from, String reason) {
    lane.assertCurrent();
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
    engine.metrics.resendRequests.increment();
    engine.send(admin, new ResendRequest(name, next, Math.min(to, next + ResendBuffer.MAX_RESEND_BATCH - 1)));
  }

  private void dispatch(List<Sequenced> entries) {
    for (Sequenced s : entries) {
      UserId removeAfter = null;
      switch (s.kind()) {
        case JOINED -> {
          LocalSession l = locals.get(s.user());
          if (l != null) {
            l.active = true;
          }
        }
        // the leaver learns from its completed leave(); no event of its own. A local user whose
        // join is not delivered yet is a newer session (the user moved here): the entry ends the old one
        case LEFT -> locals.remove(s.user(), activeLocal(s.user()));
        case NODE_FAILED -> removeAfter = s.user();
        default -> {}
      }
      RoomEvent event = LocalSession.toEvent(name, s);
      if (event != null) {
        fire(event, false);
      }
      if (removeAfter != null) {
        locals.remove(removeAfter, activeLocal(removeAfter));
      }
    }
    if (!entries.isEmpty()) {
      afterMembershipChange();
    }
  }

  /** The local session of {@code user} if its own JOINED entry was delivered, else null. */
  private @Nullable LocalSession activeLocal(UserId user) {
    LocalSession l = locals.get(user);
    return l != null && l.active ? l : null;
  }

  private void fire(RoomEvent event, boolean includePending) {
    // no copy of the members per event: a listener cannot change `locals` while we iterate, since
    // every API call it makes is queued on this lane, never run inline
    for (Map.Entry<UserId, LocalSession> e : locals.entrySet()) {
      LocalSession l = e.getValue();
      if (l.active || includePending) {
        if (l.held != null) {
          l.held.add(event); // its history is being fetched: live events wait behind it
          continue;
        }
        try {
          engine.metrics.deliveries.increment();
          l.listener.onEvent(event);
        } catch (RuntimeException ex) {
          log.warn("listener of {} in room '{}' failed on {}", e.getKey(), name, event, ex);
        }
      }
    }
  }

  private void afterMembershipChange() {
    localCount = locals.size();
    if (locals.isEmpty()) {
      delivery.reset();
      tailSeen = 0;
      maybeForget();
    }
  }

  /** Drops this state from the node when it holds nothing (no admin role, members, requests or vote). */
  void maybeForget() {
    if (!isAdmin && locals.isEmpty() && inflight == 0 && sendWindow.waiting() == 0 && preparedDelete == null) {
      engine.forget(this);
    }
  }

  // ================================================================ failures

  void onNodeDown(NodeId node, String reason) {
    lane.assertCurrent();
    if (isAdmin) {
      for (Map.Entry<UserId, Member> e : new ArrayList<>(members.entrySet())) {
        Member m = e.getValue();
        if (m.nodes.contains(node) && m.nodes.size() > 1) {
          removeMemberNode(e.getKey(), m, node); // still connected through another node
        } else if (m.nodes.contains(node)) {
          Sequenced s = sequence(EventKind.NODE_FAILED, e.getKey(), "", null);
          removeMember(e.getKey(), e.getValue());
          // sent to the node too: it may still hear this admin (one-way loss, a stalled link), and
          // its user must learn that it is no longer a member
          pipeline.persist(s, memberNodes.keySet(), node, null, null);
        }
      }
      memberNodes.remove(node);
    } else if (node.equals(admin) && !unavailable && !locals.isEmpty()) {
      unavailable = true;
      fire(new RoomEvent.RoomUnavailable(name, "admin node " + admin + " is unreachable: " + reason), true);
    }
  }

  void onNodeUp(NodeId node) {
    lane.assertCurrent();
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
            LocalSession l = locals.get(u);
            if (l != null && !still.contains(u)) {
              locals.remove(u);
              l.safeCall(name, new RoomEvent.MemberLeft(name, epoch, 0, u, RoomEvent.LeaveReason.REMOVED, engine.clock.millis()));
            }
          }
          tailSeen = Math.max(tailSeen, r.seq());
          afterMembershipChange();
          maybeResend();
        });
  }

  // ================================================================ deletion (2PC participant)

  Vote prepareDelete(Transaction tx) {
    lane.assertCurrent();
    if (inflight > 0 || sendWindow.waiting() > 0) {
      return Vote.abort(
          ErrorCode.ABORTED,
          "node " + engine.self + " has " + (inflight + sendWindow.waiting())
              + " operation(s) for room '" + name + "' in flight to its admin");
    }
    if (!held.isEmpty()) {
      return Vote.abort(ErrorCode.ABORTED, "the admin of room '" + name + "' holds " + held.size() + " send(s) not yet sequenced");
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
    finish(new RoomEvent.RoomDeleted(name, "deleted by its admin node " + admin));
    if (isAdmin) {
      engine.writeStore("delete the history of deleted room '" + name + "'", () -> engine.history.deleteRoom(name));
      engine.directory.roomDeleted(name);
    }
  }

  /**
   * This node's room lost a split brain ({@link RoomDirectory#wins}): it ends here without a
   * two-phase commit (the name belongs to another node's room). Local members get {@code
   * RoomDeleted} with {@code reason}, every member node is sent {@link RoomGone} with it (its members
   * are told the same), requests waiting for durability fail, and the stored room is deleted so a
   * restart does not bring it back.
   */
  void abandon(String reason) {
    lane.assertCurrent();
    if (!isAdmin || deleted) {
      return;
    }
    for (NodeId n : memberNodes.keySet()) {
      if (!n.equals(engine.self)) {
        engine.send(n, new RoomGone(name, reason));
      }
    }
    engine.directory.lostSplitBrain(name); // after RoomGone: a member node learns the reason first
    pipeline.failAll(ErrorCode.UNKNOWN_ROOM, reason);
    held.failAll(id -> Reply.error(id, ErrorCode.UNKNOWN_ROOM, reason));
    members.clear();
    memberNodes.clear();
    isAdmin = false;
    finish(new RoomEvent.RoomDeleted(name, reason));
    engine.writeStore("delete the history of room '" + name + "' that lost a split brain", () -> engine.history.deleteRoom(name));
  }

  void rollbackDelete(Transaction tx) {
    lane.assertCurrent();
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
    engine.directory.adminGone(name, admin);
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
  private void forward(LongFunction<WireMessage> build, BiConsumer<@Nullable Reply, @Nullable Throwable> then) {
    ask(Reply.class, build, then);
  }

  /** Sends a history read to the admin (also when that is this node); the continuation runs on this lane. */
  private void request(LongFunction<WireMessage> build, BiConsumer<@Nullable HistoryReply, @Nullable Throwable> then) {
    ask(HistoryReply.class, build, then);
  }

  /** Sends a request expecting an answer of {@code type}; counts it in flight until it is answered. */
  private <R extends WireMessage> void ask(
      Class<R> type, LongFunction<WireMessage> build, BiConsumer<@Nullable R, @Nullable Throwable> then) {
    inflight++;
    engine
        .requests
        .send(admin, type, build, m -> engine.send(admin, m))
        .whenComplete((r, e) -> lane.execute(() -> {
          inflight--;
          then.accept(r, e);
          maybeForget();
        }));
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

  /** A member as the admin knows it; {@code user} is the instance put into the room's entries. */
  /**
   * A member of the room (admin role): the nodes through which the user is connected (several
   * devices may join through several nodes; it stays a member until the last one leaves) and the
   * seq of its JOINED entry.
   */
  private record Member(UserId user, Set<NodeId> nodes, long joinSeq) {}

}
