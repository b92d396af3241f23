package io.chatmesh.testkit;

import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.UserId;
import io.chatmesh.wire.Decision;
import io.chatmesh.wire.DecisionQuery;
import io.chatmesh.wire.DirectoryUpdate;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.Goodbye;
import io.chatmesh.wire.Heartbeat;
import io.chatmesh.wire.Hello;
import io.chatmesh.wire.InfoRequest;
import io.chatmesh.wire.InviteRequest;
import io.chatmesh.wire.JoinRequest;
import io.chatmesh.wire.LeaveRequest;
import io.chatmesh.wire.HistoryReply;
import io.chatmesh.wire.HistoryRequest;
import io.chatmesh.wire.Lost;
import io.chatmesh.wire.Prepare;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.ResendRequest;
import io.chatmesh.wire.RoomGone;
import io.chatmesh.wire.RoomTail;
import io.chatmesh.wire.SendRequest;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.SyncRequest;
import io.chatmesh.wire.TxKind;
import io.chatmesh.wire.Vote;
import io.chatmesh.wire.WireMessage;
import java.util.List;

/**
 * One or more sample values of every {@link WireMessage} record, with every field set to a
 * non-default value, nullable fields both null and non-null, and every enum constant used, so
 * codecs and transports can be checked for a lossless round trip.
 */
public final class WireSamples {
  private WireSamples() {}

  /** The samples; every permitted subtype of {@link WireMessage} appears at least once. */
  public static List<WireMessage> all() {
    NodeId n2 = NodeId.of("n2");
    NodeId n3 = NodeId.of("node-3.eu_west");
    UserId alice = UserId.of("alice");
    UserId bob = UserId.of("bob.B-2_x");
    return List.of(
        new Hello("127.0.0.1:9091", false, List.of()),
        new Hello("[::1]:9092", true, List.of(new Hello.Peer(n2, "127.0.0.1:9092"), new Hello.Peer(n3, "h:1"))),
        new Goodbye("shutting down"),
        new Goodbye(""),
        new Heartbeat(),
        new Heartbeat(true),
        new DirectoryUpdate(1, true, List.of(), List.of()),
        new DirectoryUpdate(
            Long.MAX_VALUE,
            false,
            List.of(new DirectoryUpdate.Entry("general", n2, 3, 17), new DirectoryUpdate.Entry("ünïcødé 🎉", n3, 0, 0)),
            List.of("gone-1", "gone-2")),
        new Prepare("n1-42", TxKind.RESERVE_NAME, "general"),
        new Prepare("n2-45", TxKind.RESERVE_NAME, "ünïcødé 🎉", List.of(n2, n3)),
        new Prepare("n1-43", TxKind.DELETE_ROOM, "random"),
        new Vote("n1-42", true, null, ""),
        new Vote("n1-43", false, ErrorCode.ABORTED, "pending operations"),
        new Decision("n1-42", true),
        new Decision("n1-43", false),
        new DecisionQuery("n1-44"),
        new JoinRequest(1, "general", alice),
        new InviteRequest(1, "general", alice, UserId.of("bob"), true),
        new LeaveRequest(2, "general", bob),
        new SendRequest(Long.MAX_VALUE, "general", alice, "cm-1", "hello, 世界"),
        new InfoRequest(4, "general"),
        new SyncRequest(5, "general", List.of(alice, bob)),
        new SyncRequest(6, "general", List.of()),
        new Reply(7, null, "", 2, 99, false, List.of(alice, bob)),
        new Reply(8, null, "", 2, 100, true, List.of()),
        Reply.error(9, ErrorCode.NOT_MEMBER, "bob is not a member of general"),
        new Sequenced("general", 2, 1, EventKind.JOINED, alice, "", null, 1_700_000_000_000L),
        new Sequenced("general", 2, 2, EventKind.MESSAGE, alice, "hi\nthere", "cm-1", 1_700_000_000_001L),
        new Sequenced("general", 2, 3, EventKind.MESSAGE, bob, "", "", 5),
        new Sequenced("general", 2, 4, EventKind.LEFT, bob, "", null, 6),
        new Sequenced("general", 2, 5, EventKind.NODE_FAILED, alice, "", null, 7),
        new ResendRequest("general", 10, 20),
        new Lost("general", 2, 10, 12),
        new RoomTail("general", 2, 99),
        new RoomGone("general", "deleted"),
        new HistoryRequest(10, "general", 0, Long.MAX_VALUE, 1000, true, true),
        new HistoryRequest(11, "general", 41, 99, 1, false, false),
        new HistoryReply(12, null, "", 2, 99, 3, List.of(
            new Sequenced("general", 2, 3, EventKind.MESSAGE, bob, "old", "cm-3", 5),
            new Sequenced("general", 2, 4, EventKind.LEFT, bob, "", null, 6))),
        new HistoryReply(13, null, "", 1, 0, 0, List.of()),
        HistoryReply.error(14, ErrorCode.UNAVAILABLE, "store down"),
        new io.chatmesh.wire.Replicate("general", 5, List.of(NodeId.of("n1"), NodeId.of("n2")), 40, 30, List.of(
            new Sequenced("general", 5, 41, EventKind.MESSAGE, UserId.of("alice"), "hi", "c-41", 1_700_000_000_000L))),
        new io.chatmesh.wire.Replicate("general", 5, List.of(NodeId.of("n1")), 0, 0, List.of()),
        new io.chatmesh.wire.ReplicaAck("general", 5, 41, 6),
        new io.chatmesh.wire.Collect(15, "general", 6, 40, 1000),
        new io.chatmesh.wire.Handover("general", 5));
  }

  /** One sample per {@link ErrorCode}, as a failed {@link Reply}. */
  public static List<WireMessage> errorReplies() {
    return java.util.Arrays.stream(ErrorCode.values())
        .map(c -> (WireMessage) Reply.error(c.ordinal(), c, "because " + c))
        .toList();
  }
}
