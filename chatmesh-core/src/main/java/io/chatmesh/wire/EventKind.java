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
  NODE_FAILED
}
