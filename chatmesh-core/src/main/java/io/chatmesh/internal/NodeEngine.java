package io.chatmesh.internal;

import io.chatmesh.ChatNode;

/** Creates the engine behind a {@link ChatNode}. Internal. */
public final class NodeEngine {
  private NodeEngine() {}

  /** Creates an unstarted node. */
  public static ChatNode create(NodeSettings settings) {
    throw new UnsupportedOperationException("engine lands in the next commit");
  }
}
