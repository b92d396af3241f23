package io.chatmesh.internal;

import io.chatmesh.wire.Collect;
import io.chatmesh.wire.Handover;
import io.chatmesh.wire.Decision;
import io.chatmesh.wire.ReplicaAck;
import io.chatmesh.wire.Replicate;
import io.chatmesh.wire.DecisionQuery;
import io.chatmesh.wire.DirectoryUpdate;
import io.chatmesh.wire.Goodbye;
import io.chatmesh.wire.Heartbeat;
import io.chatmesh.wire.Hello;
import io.chatmesh.wire.HistoryReply;
import io.chatmesh.wire.HistoryRequest;
import io.chatmesh.wire.InfoRequest;
import io.chatmesh.wire.InviteRequest;
import io.chatmesh.wire.JoinRequest;
import io.chatmesh.wire.LeaveRequest;
import io.chatmesh.wire.Lost;
import io.chatmesh.wire.Prepare;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.ResendRequest;
import io.chatmesh.wire.RoomGone;
import io.chatmesh.wire.RoomTail;
import io.chatmesh.wire.SendRequest;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.SyncRequest;
import io.chatmesh.wire.Vote;

/**
 * The node protocol at a glance: which lane handles each {@link io.chatmesh.wire.WireMessage} and
 * which part of the engine handles it. Every message type appears once ({@code MessageRouterTest}
 * checks that none is missing).
 */
final class Routes {
  private Routes() {}

  /** The router of {@code e}, built once when the engine is constructed. */
  static MessageRouter of(NodeEngine e) {
    return MessageRouter.builder(e.self, e.nodeLane, e.rooms::get, e::send)
        // liveness is recorded for every message in receive(); replies complete waiting requests
        .onTransport(Heartbeat.class, (from, inc, m) -> {
          if (m.draining()) {
            e.peers.heardDraining(from, inc);
          }
        })
        .onTransport(Reply.class, (from, inc, m) -> e.requests.onReply(m))
        .onTransport(HistoryReply.class, (from, inc, m) -> e.requests.onReply(m.requestId(), m))
        // node-wide state: the node lane
        .onNodeLane(Hello.class, e.peers::onHello)
        .onNodeLane(Goodbye.class, (from, inc, m) -> {
          e.quorum.left(from);
          e.peers.onGoodbye(from, m);
        })
        .onNodeLane(DirectoryUpdate.class, (from, inc, m) -> {
          e.directory.onUpdate(from, inc, m);
          e.quorum.check(); // readiness waits for the seeds' directories
          e.directoriesChanged(); // so may creations and name votes
        })
        .onNodeLane(Prepare.class, (from, inc, m) -> e.twoPc.onPrepare(from, m))
        .onNodeLane(Vote.class, (from, inc, m) -> e.twoPc.onVote(from, m))
        .onNodeLane(Decision.class, (from, inc, m) -> e.twoPc.onDecision(from, m))
        .onNodeLane(DecisionQuery.class, (from, inc, m) -> e.twoPc.onDecisionQuery(from, m))
        // requests to a room's admin: the room's lane
        .onAdminRoom(SendRequest.class, SendRequest::room, SendRequest::requestId,
            (rs, from, r) -> rs.adminSend(from, r, reply -> e.send(from, reply)))
        .onAdminRoom(JoinRequest.class, JoinRequest::room, JoinRequest::requestId,
            (rs, from, r) -> rs.adminJoin(from, r.user(), r.requestId(), reply -> e.send(from, reply)))
        .onAdminRoom(InviteRequest.class, InviteRequest::room, InviteRequest::requestId,
            (rs, from, r) -> rs.adminInvite(r.by(), r.user(), r.invite(), r.requestId(), reply -> e.send(from, reply)))
        .onAdminRoom(LeaveRequest.class, LeaveRequest::room, LeaveRequest::requestId,
            (rs, from, r) -> rs.adminLeave(from, r.user(), r.requestId(), reply -> e.send(from, reply)))
        .onAdminRoom(InfoRequest.class, InfoRequest::room, InfoRequest::requestId,
            (rs, from, r) -> e.send(from, rs.adminInfo(r.requestId())))
        .onAdminRoom(SyncRequest.class, SyncRequest::room, SyncRequest::requestId, (rs, from, r) -> e.send(from, rs.adminSync(from, r)))
        .onAdminRoom(HistoryRequest.class, HistoryRequest::room, HistoryRequest::requestId, (rs, from, r) -> rs.adminHistory(from, r))
        .onAdminRoom(ResendRequest.class, ResendRequest::room, r -> -1, (rs, from, r) -> rs.adminResend(from, r))
        // the admin's traffic to the members: the room's lane
        .onMemberRoom(Sequenced.class, Sequenced::room, (rs, from, s) -> rs.memberDeliver(s))
        .onMemberRoom(Lost.class, Lost::room, (rs, from, l) -> rs.memberLost(l))
        .onMemberRoom(RoomTail.class, RoomTail::room, (rs, from, t) -> rs.memberTail(from, t))
        .onMemberRoom(RoomGone.class, RoomGone::room, (rs, from, g) -> rs.memberGone(from, g.reason()))
        // replication and failover: the room's lane, creating the room's state on a new replica
        .onTransport(Replicate.class, (from, inc, m) -> e.replicaMessage(from, m.room(), rs -> rs.onReplicate(from, m)))
        .onTransport(Collect.class, (from, inc, m) -> e.replicaMessage(from, m.room(), rs -> rs.onCollect(from, m)))
        .onTransport(Handover.class, (from, inc, m) -> e.replicaMessage(from, m.room(), rs -> rs.onHandover(from, m)))
        .onTransport(ReplicaAck.class, (from, inc, m) -> {
          RoomState rs = e.rooms.get(m.room());
          if (rs != null) {
            rs.lane.execute(() -> rs.onReplicaAck(from, m));
          }
        })
        .build();
  }
}
