package io.chatmesh.wire;

/** The kind of a {@link Sequenced} log entry. */
public enum EventKind {
  /** A chat message. */
  MESSAGE,
  /** A user joined. */
  JOINED,
  /** A user left on request. */
  LEFT,
  /** A user was removed because its node was declared dead. */
  NODE_FAILED,
  /** The room's settings: {@code user} is its owner, {@code text} is "private" or "public". */
  SETTINGS,
  /** The owner invited {@code user} to the (private) room. */
  INVITED,
  /** The owner withdrew {@code user}'s invitation. */
  UNINVITED
}
