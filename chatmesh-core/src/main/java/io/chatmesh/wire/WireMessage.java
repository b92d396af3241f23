package io.chatmesh.wire;

/**
 * A node-to-node message. Immutable values; thread-safe. See the package documentation.
 */
public sealed interface WireMessage
    permits Hello,
        Goodbye,
        Heartbeat,
        DirectoryUpdate,
        Prepare,
        Vote,
        Decision,
        DecisionQuery,
        JoinRequest,
        InviteRequest,
        LeaveRequest,
        SendRequest,
        InfoRequest,
        SyncRequest,
        Reply,
        Sequenced,
        ResendRequest,
        Lost,
        RoomTail,
        RoomGone,
        HistoryRequest,
        HistoryReply,
        Replicate,
        ReplicaAck,
        Collect,
        Handover {

  /**
   * The highest protocol version this build speaks. Two nodes agree on a version once per link,
   * when it opens: the highest one in both nodes' ranges [{@link #MIN_PROTOCOL_VERSION},
   * {@code PROTOCOL_VERSION}]; without a common version the link is refused with an error naming
   * both ranges. Bump it (and keep the minimum) when a change needs both ends to know about it; see
   * {@code proto/README.md}.
   */
  int PROTOCOL_VERSION = 1;

  /**
   * The lowest protocol version this build still speaks. Raise it only when the versions below it
   * are no longer supported (their peers will be refused); see {@code proto/README.md}.
   */
  int MIN_PROTOCOL_VERSION = 1;
}
