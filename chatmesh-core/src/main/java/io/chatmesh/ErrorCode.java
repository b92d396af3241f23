package io.chatmesh;

/**
 * What went wrong, as a stable code that applications and gateways can switch on (like gRPC's
 * {@code Status.Code}). The names are part of the public contract, also on the WebSocket protocol.
 */
public enum ErrorCode {
  /** The request itself is malformed: a null, blank, too long or otherwise invalid argument. */
  BAD_REQUEST,
  /** No room with that name exists in the cluster (as far as this node knows). */
  UNKNOWN_ROOM,
  /** A room with that name already exists, or another node is creating it right now. */
  ROOM_EXISTS,
  /** The user is not a member of the room. */
  NOT_MEMBER,
  /** The user is already a member of the room through another node. */
  ALREADY_MEMBER,
  /** Only the room's administrator node may do this (e.g. delete the room). */
  NOT_ADMIN,
  /** The room's administrator node is down or unreachable, or this node is not running. */
  UNAVAILABLE,
  /** A two-phase commit was aborted (a participant voted ABORT or did not answer in time). */
  ABORTED,
  /** A text or frame is larger than the configured limit. */
  TOO_LARGE,
  /** The caller sends faster than allowed. */
  RATE_LIMITED,
  /**
   * A room cannot be created: this node administers its configured maximum of rooms ({@code
   * ChatNode.Builder.maxRooms}), or the user created the gateway's maximum of rooms per user.
   */
  TOO_MANY_ROOMS,
  /** The room has its configured maximum of members ({@code ChatNode.Builder.maxMembersPerRoom}). */
  ROOM_FULL,
  /**
   * A gateway refuses a connection: too many from the same remote address or for the same user
   * (the connection is closed after this error).
   */
  TOO_MANY_CONNECTIONS,
  /** The caller is not authenticated or not allowed to do this. */
  UNAUTHORIZED,
  /** A remote wait ran past its deadline; the operation may or may not have taken effect. */
  TIMEOUT,
  /** A peer speaks a protocol version this node cannot understand. */
  INCOMPATIBLE_PROTOCOL,
  /** A bug or an unexpected failure inside chatmesh; the message says what. */
  INTERNAL,
  /**
   * The user is known but not allowed to do this: only a room's owner deletes it or edits its
   * invitations; a private room is joined only by its owner and invited users.
   */
  FORBIDDEN
}
