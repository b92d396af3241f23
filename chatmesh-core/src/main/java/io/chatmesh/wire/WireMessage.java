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
        HistoryReply {

  /**
   * Version of the protocol this build speaks. A node refuses peers whose {@link Hello} carries
   * another version, with a {@link Goodbye} that says why.
   */
  int PROTOCOL_VERSION = 1;
}
