package io.chatmesh.wire;

/** What a two-phase commit transaction does. */
public enum TxKind {
  /** Reserve a room name on every live node before creating the room (unique names). */
  RESERVE_NAME,
  /** Delete a room on every node with members. */
  DELETE_ROOM
}
