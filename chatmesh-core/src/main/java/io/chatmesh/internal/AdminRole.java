package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.UserId;
import io.chatmesh.internal.RoomMembers.Member;
import io.chatmesh.sequencer.Sequencer;
import io.chatmesh.twopc.TwoPhaseCommit;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.HistoryReply;
import io.chatmesh.wire.HistoryRequest;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.ResendRequest;
import io.chatmesh.wire.RoomGone;
import io.chatmesh.wire.RoomTail;
import io.chatmesh.wire.SendRequest;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.SyncRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin role of a room on this node: the {@link Sequencer}, the members and the set of member
 * nodes, the room's ownership, and the pieces of the admin's data path - the {@link SendHold} (flow
 * control before sequencing), the {@link AppendPipeline} (durability before release) and the
 * {@link ResendBuffer}. Every change - message, join, leave - becomes one {@link Sequenced} entry of
 * the room's log, broadcast to exactly the nodes with members once it is durable.
 *
 * <p>Created by {@link RoomState#becomeAdmin} or {@link RoomState#restoreAdmin} and dropped by
 * {@link RoomState#abandon}: the room actor swaps its roles on these transitions (and will on lease
 * changes, when a replica role takes over). Not thread-safe: used on the room's lane only.
 */
final class AdminRole {
  private static final Logger log = LoggerFactory.getLogger(AdminRole.class);

  private final RoomState room;
  private final NodeEngine engine;
  private final String name;
  private final long epoch;
  private final Sequencer sequencer;
  private final RoomMembers members = new RoomMembers();
  private final ResendBuffer resend;
  /** Appends sequenced entries to the store and releases them in seq order once durable. */
  private final AppendPipeline pipeline;
  /** Sends held while the link to a member node is congested (see {@link #adminSend}). */
  private final SendHold held;
  private final Ownership ownership = new Ownership();
  /** With failover: the replicas this role replicates to (null without failover). */
  private final @Nullable Replication replication;
  private boolean deleting;
  /** During a planned move: the node the room moves to (writes are refused meanwhile). */
  private @Nullable NodeId movingTo;
  /**
   * After a takeover or a restart: seq -> the epoch of the log's entries from that seq on, for the
   * entries that seeded the dedup window (a retry of one is acked at its place in the log: its
   * own epoch, not this admin's). Empty for a new room.
   */
  private final java.util.NavigableMap<Long, Long> epochFrom = new java.util.TreeMap<>();

  private AdminRole(RoomState room, Sequencer sequencer, @Nullable List<NodeId> replicas) {
    this.room = room;
    this.engine = room.engine;
    this.name = room.name;
    this.epoch = room.epoch;
    this.sequencer = sequencer;
    this.resend = new ResendBuffer(engine.settings.resendBufferSize());
    this.pipeline = new AppendPipeline(new PipelineRoom(), engine.metrics);
    io.chatmesh.Failover f = engine.settings.failover();
    this.replication = replicas == null || f == null
        ? null
        : new Replication(name, engine.self, epoch, replicas,
            !engine.history.shared() && f.acks() == io.chatmesh.Failover.Acks.REPLICATED, new ReplicationHost());
    this.held = new SendHold(name, engine.self, RoomState.MAX_HELD_SENDS, engine.metrics.sendsHeld, new HoldHost());
  }

  /** Whether this admin answers a request only once its replicas acknowledged the entry (a remote wait). */
  boolean repliesWaitForReplicas() {
    return replication != null && replication.waitsForReplicas();
  }

  /** The admin role of a newly created room, which it records in the history store. */
  static AdminRole created(RoomState room, @Nullable List<NodeId> replicas) {
    NodeEngine engine = room.engine;
    AdminRole a = new AdminRole(room, engine.settings.sequencers().create(room.epoch, 0, engine.settings.dedupWindow()), replicas);
    // the first appends wait for the store writes queued before this creation (the deletion of
    // an earlier room of this name, whose entries have another epoch), not for the record below
    CompletableFuture<Void> earlierWrites = new CompletableFuture<>();
    a.pipeline.appendAfter(earlierWrites);
    engine.writeStore("let room '" + room.name + "' append", () -> earlierWrites.complete(null));
    // off the lane: a JDBC store blocks
    engine.writeStore(
        "record room '" + room.name + "' in the history store; it will not be restored after a restart",
        () -> engine.history.saveRoom(room.name, engine.self, room.epoch));
    return a;
  }

  /** The admin role restored after a restart from the stored log (see {@link RoomState#restoreAdmin}). */
  static AdminRole restored(
      RoomState room, long lastSeq, long committed, List<Sequenced> recent, List<Sequenced> settings, @Nullable List<NodeId> replicas) {
    NodeEngine engine = room.engine;
    Sequencer s = engine.settings.sequencers().create(room.epoch, lastSeq, engine.settings.dedupWindow());
    AdminRole a = new AdminRole(room, s, replicas);
    for (Sequenced e : recent) {
      if (e.clientMessageId() != null) {
        s.remember(e.user(), e.clientMessageId(), e.seq());
      }
      java.util.Map.Entry<Long, Long> before = a.epochFrom.lastEntry();
      if (before == null || before.getValue() != e.epoch()) {
        a.epochFrom.put(e.seq(), e.epoch());
      }
    }
    a.epochFrom.put(lastSeq + 1, room.epoch);
    for (Sequenced e : recent) {
      a.resend.add(e); // members catching up after a takeover get these from here
    }
    // after a takeover, the adopted entries after the highest seq known committed are replicated
    // again and released once a majority holds them (a restart continues everything as durable)
    long from = Math.max(committed, lastSeq - recent.size());
    a.pipeline.restoredAt(from);
    if (a.replication != null) {
      a.replication.restoredAt(from, lastSeq);
    }
    // released to this node's own member role: the member nodes are not known yet (the members are
    // adopted after this, attached as their nodes sync) and get them through RoomTail and resend;
    // this node's users, which may have missed them too, hear no tail (seed 1582)
    for (Sequenced e : recent) {
      if (e.seq() > from) {
        if (a.replication != null) {
          a.replication.sent(e);
        }
        a.pipeline.persist(e, a.members.nodes(), engine.self, null, null);
      }
    }
    for (Sequenced e : settings) {
      a.ownership.apply(e);
    }
    return a;
  }

  /** Ends the membership of the users the stored log still lists (they were connected to the old process). */
  void endFormerMembers(long lastSeq, List<UserId> formerMembers) {
    for (UserId u : formerMembers) {
      pipeline.persist(sequence(EventKind.NODE_FAILED, u, "", null), members.nodes(), null, null, null);
    }
  }

  // ================================================================ ownership

  /**
   * Records the room's creator as its owner, and whether the room is private, as the room's first
   * entry (right after the creation committed); {@code done} completes once durable.
   */
  void adminInitSettings(UserId creator, boolean isPrivate, CompletableFuture<Void> done) {
    Sequenced e = sequence(EventKind.SETTINGS, creator, isPrivate ? "private" : "public", null);
    ownership.apply(e);
    pipeline.persist(e, members.nodes(), null, r -> {
      if (r.error() == null) {
        done.complete(null);
      } else {
        done.completeExceptionally(new ChatException(r.error(), r.message()));
      }
    }, new Reply(0, null, "", epoch, e.seq(), false, List.of()));
  }

  /** Invites or uninvites {@code user} on behalf of {@code by}, who must own the room. */
  void adminInvite(UserId by, UserId user, boolean invite, long requestId, Consumer<Reply> reply) {
    Reply refused = refuseWrites(requestId);
    if (refused != null) {
      reply.accept(refused);
      return;
    }
    if (!ownership.isOwner(by)) {
      reply.accept(Reply.error(requestId, ErrorCode.FORBIDDEN, ownership.notOwner(name, by, invite ? "invite users to it" : "withdraw invitations")));
      return;
    }
    if (invite == ownership.isInvited(user)) {
      reply.accept(new Reply(requestId, null, "", epoch, 0, true, List.of())); // already so
      return;
    }
    Sequenced e = sequence(invite ? EventKind.INVITED : EventKind.UNINVITED, user, "", null);
    ownership.apply(e);
    pipeline.persist(e, members.nodes(), null, reply, new Reply(requestId, null, "", epoch, e.seq(), false, List.of()));
  }

  // ================================================================ membership and sends

  void adminJoin(NodeId from, UserId user, long requestId, Consumer<Reply> reply) {
    Reply refused = refuseWrites(requestId);
    if (refused != null) {
      reply.accept(refused);
      return;
    }
    if (!ownership.mayJoin(user)) {
      reply.accept(Reply.error(requestId, ErrorCode.FORBIDDEN,
          "room '" + name + "' is private: only its owner and invited users may join, not " + user));
      return;
    }
    Member m = members.get(user);
    if (m != null) {
      if (m.nodes().contains(from)) {
        pipeline.whenDurable(m.joinSeq(), reply, new Reply(requestId, null, "", epoch, m.joinSeq(), true, members.users()));
        return;
      }
      // the same user through one more node (another device): member events are per user, so no
      // JOINED entry; the node receives every entry from the next seq on, and the history below it
      // once that is durable
      members.addNode(m, from);
      long last = pipeline.last();
      pipeline.whenDurable(last, reply, new Reply(requestId, null, "", epoch, last + 1, true, members.users()));
      return;
    }
    int limit = engine.settings.maxMembersPerRoom();
    if (members.size() >= limit) {
      reply.accept(Reply.error(
          requestId, ErrorCode.ROOM_FULL, "room '" + name + "' has its maximum of " + limit + " members (maxMembersPerRoom)"));
      return;
    }
    Sequenced e = sequence(EventKind.JOINED, user, "", null);
    members.add(user, from, e.seq());
    engine.directory.memberCountChanged(name, members.size());
    pipeline.persist(e, members.nodes(), null, reply, new Reply(requestId, null, "", epoch, e.seq(), false, members.users()));
  }

  void adminLeave(NodeId from, UserId user, long requestId, Consumer<Reply> reply) {
    Member m = members.get(user);
    attachAdopted(m, from);
    if (m == null || !m.nodes().contains(from)) {
      reply.accept(new Reply(requestId, null, "", epoch, 0, true, members.users())); // idempotent retry
      return;
    }
    Reply refused = refuseWrites(requestId);
    if (refused != null) {
      reply.accept(refused);
      return;
    }
    if (m.nodes().size() > 1) {
      // still a member through another node: no LEFT entry (member events are per user)
      members.removeNode(m, from);
      reply.accept(new Reply(requestId, null, "", epoch, 0, false, members.users()));
      return;
    }
    Sequenced e = sequence(EventKind.LEFT, m.user(), "", null);
    removeMember(m);
    // the leaver's node still gets its LEFT entry, although it is no longer a member node
    pipeline.persist(e, members.nodes(), from, reply, new Reply(requestId, null, "", epoch, e.seq(), false, members.users()));
  }

  /** A chat message to sequence, through the {@link SendHold} (flow control while a member link is congested). */
  void adminSend(NodeId from, SendRequest r, Consumer<Reply> reply) {
    held.submit(from, r, reply);
  }

  private void adminSendNow(NodeId from, SendRequest r, Consumer<Reply> reply) {
    long id = r.requestId();
    Reply refused = refuseWrites(id);
    if (refused != null) {
      reply.accept(refused);
      return;
    }
    Member m = members.get(r.user());
    attachAdopted(m, from);
    if (m == null || !m.nodes().contains(from)) {
      reply.accept(Reply.error(id, ErrorCode.NOT_MEMBER, "user " + r.user() + " is not a member of room '" + name + "'"));
      return;
    }
    // the member's own UserId instance, not the one decoded from this request: every retained entry
    // (resend buffer, in-memory history, dedup window) then shares one copy per member
    UserId user = m.user();
    OptionalLong dup = sequencer.lookup(user, r.clientMessageId());
    if (dup.isPresent()) {
      engine.metrics.dedupHits.increment();
      pipeline.whenDurable(dup.getAsLong(), reply, new Reply(id, null, "", epochOf(dup.getAsLong()), dup.getAsLong(), true, List.of()));
      return;
    }
    Sequenced e = sequence(EventKind.MESSAGE, user, r.text(), r.clientMessageId());
    pipeline.persist(e, members.nodes(), null, reply, new Reply(id, null, "", epoch, e.seq(), false, List.of()));
  }

  /** The epoch of the log's entry at {@code seq}: an earlier admin's for an adopted entry, else this role's. */
  private long epochOf(long seq) {
    java.util.Map.Entry<Long, Long> e = epochFrom.floorEntry(seq);
    return e == null ? epoch : e.getValue();
  }

  private boolean membersCongested() {
    for (NodeId n : members.nodes()) {
      if (!engine.writable(n)) {
        return true;
      }
    }
    return false;
  }

  // ================================================================ reads

  /** Serves a history read off the lane (the store may block), bounded by the durable seq. */
  void adminHistory(NodeId from, HistoryRequest r) {
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
        List<Sequenced> entries = HistoryEntries.readRange(
            engine.history, name, r.afterSeq(), before, Math.min(r.limit(), HistoryRequest.MAX_LIMIT), r.newest(), r.messagesOnly());
        reply = new HistoryReply(r.requestId(), null, "", epoch, durable, engine.history.oldestSeq(name), entries);
      } catch (RuntimeException e) {
        ChatException ce = ChatException.from(e);
        log.warn("{}: history of room '{}' could not be read: {}", engine.self, name, ce.getMessage());
        reply = HistoryReply.error(r.requestId(), ce.code(), "history of room '" + name + "' could not be read: " + ce.getMessage());
      }
      engine.send(from, reply);
    });
  }

  Reply adminInfo(long requestId) {
    return new Reply(requestId, null, "", epoch, pipeline.released(), false, members.users());
  }

  /** Why the room is fenced here, or null (see {@link AppendPipeline#fenced}). */
  @Nullable String fenced() {
    return pipeline.fenced();
  }

  Reply adminSync(NodeId from, SyncRequest r) {
    List<UserId> still = new ArrayList<>();
    for (UserId u : r.users()) {
      Member m = members.get(u);
      attachAdopted(m, from);
      if (m != null && m.nodes().contains(from)) {
        still.add(u);
      }
    }
    return new Reply(r.requestId(), null, "", epoch, pipeline.released(), false, still);
  }

  void adminResend(NodeId from, ResendRequest r) {
    int sent = resend.serve(name, epoch, r.fromSeq(), r.toSeq(), pipeline.released(), m -> engine.send(from, m));
    if (sent == 0 && Math.max(1, r.fromSeq()) > Math.min(r.toSeq(), pipeline.released())) {
      return; // nothing released in the range: not counted, not logged
    }
    engine.metrics.entriesResent.add(sent);
    log.debug("{}: resent {} entries of '{}' to {}", engine.self, sent, name, from);
  }

  void adminTail() {
    if (replication != null) {
      replication.tick();
    }
    if (pipeline.released() == 0) {
      return;
    }
    RoomTail t = new RoomTail(name, epoch, pipeline.released());
    for (NodeId n : members.nodes()) {
      if (!n.equals(engine.self)) {
        engine.send(n, t);
      }
    }
    // this node's own member role too: what it missed (a resend it asked for before this node
    // became the admin, or skipped as too soon after one) is asked for again like on any member node
    room.memberTail(engine.self, t);
  }

  // ================================================================ the log

  private Sequenced sequence(EventKind kind, UserId user, String text, @Nullable String clientMessageId) {
    long seq = sequencer.next(user, clientMessageId);
    Sequenced e = new Sequenced(name, epoch, seq, kind, user, text, clientMessageId, engine.clock.millis());
    resend.add(e);
    if (replication != null) {
      replication.sent(e);
    }
    return e;
  }

  /** Sends a released entry to {@code nodes} and {@code extra}; this node's members get it through the member role. */
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
      room.memberDeliver(e);
    }
  }

  /** UNAVAILABLE while the room is being deleted, fenced, or its history store fails; else null. */
  private @Nullable Reply refuseWrites(long requestId) {
    if (deleting) {
      return Reply.error(requestId, ErrorCode.UNAVAILABLE, "room '" + name + "' is being deleted");
    }
    if (movingTo != null) {
      return Reply.error(requestId, ErrorCode.UNAVAILABLE,
          "room '" + name + "' is moving to node " + movingTo + "; retry (with the same client message id)");
    }
    if (!room.maySequence()) {
      return Reply.error(requestId, ErrorCode.UNAVAILABLE,
          "node " + engine.self + " cannot renew the lease of room '" + name + "' in time and stopped sequencing it; retry");
    }
    return pipeline.refusal(requestId);
  }

  private void removeMember(Member m) {
    members.remove(m);
    engine.directory.memberCountChanged(name, members.size());
  }

  // ================================================================ replication and failover

  /** A replica's answer: a refusal (it follows a newer epoch) makes this node step down. */
  void onReplicaAck(NodeId from, io.chatmesh.wire.ReplicaAck a) {
    if (replication == null || a.epoch() != epoch) {
      return;
    }
    if (a.promised() > epoch) {
      room.stepDown("replica " + from + " follows room '" + name + "' at epoch " + a.promised() + ", newer than this admin's " + epoch);
      return;
    }
    if (replication.onAck(from, a)) {
      pipeline.replicationAdvanced();
    }
  }

  /** Starts a planned move to {@code target}: writes are refused from now on. */
  void startMove(NodeId target) {
    movingTo = target;
  }

  /** The move did not happen: writes are taken again. */
  void cancelMove() {
    movingTo = null;
  }

  /** Whether the room can be handed to {@code target}: nothing pending or held, and {@code target} holds every entry. */
  boolean readyToHand(NodeId target) {
    return replication != null && pipeline.last() == pipeline.released() && held.isEmpty()
        && replication.progress().getOrDefault(target, -1L) >= pipeline.last();
  }

  /** The live replicas other than this node, the most caught-up first (for a drain). */
  List<NodeId> liveReplicasByProgress() {
    if (replication == null) {
      return List.of();
    }
    Map<NodeId, Long> p = replication.progress();
    List<NodeId> out = new ArrayList<>();
    for (NodeId n : replication.replicas()) {
      if (!n.equals(engine.self) && engine.isAlive(n)) {
        out.add(n);
      }
    }
    out.sort((x, y) -> Long.compare(p.getOrDefault(y, 0L), p.getOrDefault(x, 0L)));
    return out;
  }

  private boolean seesMajorityOfReplicas() {
    int alive = 0;
    for (NodeId n : replication.replicas()) {
      if (n.equals(engine.self) || engine.isAlive(n)) {
        alive++;
      }
    }
    return alive * 2 > replication.replicas().size();
  }

  /** The highest released seq. */
  long released() {
    return pipeline.released();
  }

  /**
   * The highest seq known committed: released and held by a majority of the replica set. With
   * REPLICATED acks (or a shared store, which is every node's log) that is {@link #released()}; with
   * {@link io.chatmesh.Failover.Acks#ADMIN_ONLY} an entry is released before its replicas hold it,
   * and it is committed only once a majority acknowledged it. Replicas are told this seq (a replica
   * keeps what is committed when it follows a newer admin) and this node's replica role continues
   * from it when it steps down (a takeover keeps its own log only up to it): an entry acked on this
   * admin alone may be lost at failover and its seq reused, so it must not count as committed.
   */
  long committed() {
    long r = pipeline.released();
    return replication == null || engine.history.shared() ? r : Math.min(r, replication.heldByMajority());
  }

  /** The replica set (this node alone without failover). */
  List<NodeId> replicas() {
    return replication == null ? List.of(engine.self) : replication.replicas();
  }

  /**
   * After a takeover: the users the log lists as members are members, not yet attached to a node.
   * The member nodes attach theirs when they sync with this new admin (or send for them); those
   * still unattached after the grace period (their node died with the old admin) get NODE_FAILED.
   */
  void adoptMembers(List<UserId> users, long lastSeq) {
    long grace = 2 * engine.settings.failureTimeout().toMillis() + engine.settings.requestTimeout().toMillis();
    members.adopt(users, lastSeq, engine.clock.millis() + grace);
    engine.directory.memberCountChanged(name, members.size());
    engine.clock.schedule(java.time.Duration.ofMillis(grace), () -> room.lane.execute(this::endUnattached));
  }

  private void attachAdopted(@Nullable Member m, NodeId from) {
    members.attachIfAdopting(m, from, engine.clock.millis());
  }

  private void endUnattached() {
    if (!active() || !room.maySequence()) {
      return;
    }
    for (Member m : members.endAdoption()) {
      Sequenced s = sequence(EventKind.NODE_FAILED, m.user(), "", null);
      removeMember(m);
      pipeline.persist(s, members.nodes(), null, null, null);
    }
  }

  /**
   * This node no longer administers the room (lease lost, or a newer admin exists): requests waiting
   * for durability or held fail UNAVAILABLE naming {@code why}; a retry with the same client message
   * id reaches the next admin, which answers it with the original seq if the entry made it.
   */
  void stepDown(String why) {
    String retry = why + "; retry (with the same client message id)";
    pipeline.failAll(ErrorCode.UNAVAILABLE, retry);
    held.failAll(id -> Reply.error(id, ErrorCode.UNAVAILABLE, retry));
    members.clear();
  }

  // ================================================================ failures and deletion

  /** Ends the membership of the users connected only through {@code node}, with NODE_FAILED entries. */
  void onNodeDown(NodeId node) {
    if (!room.maySequence()) {
      return; // its lease is not valid: it is about to step down, the next admin ends these members
    }
    if (replication != null && !seesMajorityOfReplicas()) {
      // on the minority side of a partition: it is about to lose the room, not its members
      members.forgetNode(node);
      return;
    }
    for (Member m : members.snapshot()) {
      if (m.nodes().contains(node) && m.nodes().size() > 1) {
        members.removeNode(m, node); // still connected through another node
      } else if (m.nodes().contains(node)) {
        Sequenced s = sequence(EventKind.NODE_FAILED, m.user(), "", null);
        removeMember(m);
        // sent to the node too: it may still hear this admin (one-way loss, a stalled link), and
        // its user must learn that it is no longer a member
        pipeline.persist(s, members.nodes(), node, null, null);
      }
    }
    members.forgetNode(node);
  }

  /**
   * {@code node} is up again. On the minority side of a partition this role kept the members
   * connected through a node it declared dead but stopped sending to it ({@link #onNodeDown}); if it
   * is still the admin after the heal, those members are owed every entry: the node gets entries and
   * tails again (a gap or a tail makes it ask for what it missed meanwhile).
   */
  void onNodeUp(NodeId node) {
    if (!node.equals(engine.self) && !members.nodes().contains(node) && members.recallNode(node)) {
      log.info("{}: room '{}' sends to member node {} again (its members were kept while it was unreachable)", engine.self, name, node);
    }
  }

  /** Whether a deletion of the room is under way (its two-phase commit not decided yet). */
  boolean deleting() {
    return deleting;
  }

  /** Why a deletion PREPARE must be refused here (sends held, not yet sequenced), or null. */
  @Nullable String busy() {
    return held.isEmpty() ? null : "the admin of room '" + name + "' holds " + held.size() + " send(s) not yet sequenced";
  }

  /** Deletes the room (two-phase commit among the member nodes) on behalf of {@code by}, if it owns it. */
  void delete(@Nullable UserId by, CompletableFuture<Void> out) {
    if (by != null && !ownership.isOwner(by)) {
      out.completeExceptionally(new ChatException(ErrorCode.FORBIDDEN, ownership.notOwner(name, by, "delete it")));
      return;
    }
    if (deleting) {
      out.completeExceptionally(new ChatException(ErrorCode.ABORTED, "room '" + name + "' is already being deleted"));
      return;
    }
    deleting = true;
    Set<NodeId> participants = new HashSet<>(members.nodes());
    participants.add(engine.self);
    if (replication != null) {
      for (NodeId n : replication.replicas()) {
        if (engine.isAlive(n)) {
          participants.add(n); // they delete their copies; a dead one never takes over a room no longer listed
        }
      }
    }
    engine
        .deleteRoom(name, participants)
        .whenComplete((res, e) -> room.lane.execute(() -> {
          if (e == null && res.outcome() == TwoPhaseCommit.Outcome.COMMITTED) {
            // requests still waiting for durability (an entry not yet on a majority of the replicas
            // when the deletion committed without them) or held end here: nothing else answers them
            String gone = "room '" + name + "' was deleted before this request was durable";
            pipeline.failAll(ErrorCode.UNKNOWN_ROOM, gone);
            held.failAll(id -> Reply.error(id, ErrorCode.UNKNOWN_ROOM, gone));
            out.complete(null);
          } else {
            deleting = false;
            String context = "deletion of room '" + name + "' aborted";
            out.completeExceptionally(
                e != null ? new ChatException(ErrorCode.ABORTED, context + ": " + e) : res.failure(ErrorCode.ABORTED, context));
          }
        }));
  }

  /**
   * Steps down after a lost split brain: every member node is told {@link RoomGone} with {@code
   * reason}, and every request waiting for durability or held fails UNKNOWN_ROOM.
   */
  void abandon(String reason) {
    for (NodeId n : members.nodes()) {
      if (!n.equals(engine.self)) {
        engine.send(n, new RoomGone(name, reason));
      }
    }
    engine.directory.lostSplitBrain(name); // after RoomGone: a member node learns the reason first
    pipeline.failAll(ErrorCode.UNKNOWN_ROOM, reason);
    held.failAll(id -> Reply.error(id, ErrorCode.UNKNOWN_ROOM, reason));
    members.clear();
  }

  /** Whether this role is still the room's admin role (not abandoned) and the room not deleted. */
  private boolean active() {
    return room.adminRole() == this && !room.deleted();
  }

  // ================================================================ the pieces' views of this role

  /** How the {@link AppendPipeline} reaches the store and the member nodes. */
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
      return active() && engine.running();
    }

    @Override
    public void onLane(Runnable task) {
      room.lane.execute(task);
    }

    @Override
    public void later(Duration delay, Runnable task) {
      engine.clock.schedule(delay, () -> room.lane.execute(task));
    }

    @Override
    public long replicatedUpTo() {
      return replication == null ? Long.MAX_VALUE : replication.replicatedUpTo();
    }
  }

  /** How {@link Replication} reaches the replicas and this admin's log. */
  private final class ReplicationHost implements Replication.Host {
    @Override
    public void send(NodeId to, io.chatmesh.wire.WireMessage m) {
      engine.send(to, m);
    }

    @Override
    public List<Sequenced> buffered(long from, long to, int max) {
      return resend.range(from, to, max);
    }

    @Override
    public long oldestBuffered() {
      return resend.oldest();
    }

    @Override
    public void readLog(long afterSeq, int max, Consumer<List<Sequenced>> then) {
      engine.readHistory(() -> {
        List<Sequenced> entries;
        try {
          entries = HistoryEntries.fromStored(engine.history.readAfter(name, afterSeq, max));
        } catch (RuntimeException e) {
          log.warn("{}: could not read room '{}' to catch a replica up: {}", engine.self, name, e.getMessage());
          entries = List.of();
        }
        List<Sequenced> found = entries;
        room.lane.execute(() -> {
          if (active()) {
            then.accept(found);
          }
        });
      });
    }

    @Override
    public long committed() {
      return AdminRole.this.committed();
    }

    @Override
    public long last() {
      return pipeline.last();
    }
  }

  /** How the {@link SendHold} sees the member links and sequences what it released. */
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
      if (room.deleted()) {
        return Reply.error(requestId, ErrorCode.UNKNOWN_ROOM, "room '" + name + "' was deleted");
      }
      if (room.adminRole() != AdminRole.this) {
        return Reply.error(requestId, ErrorCode.NOT_ADMIN, "node " + engine.self + " is no longer the admin of room '" + name + "'");
      }
      return null;
    }

    @Override
    public void later(Runnable task) {
      room.recheckLater(task);
    }
  }

}
