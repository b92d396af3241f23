package io.chatmesh;

/**
 * Notified when peer nodes are seen alive or declared dead by the failure detector. Called on a
 * chatmesh thread, one call at a time; must not block.
 */
public interface ClusterListener {
  /**
   * A peer was seen for the first time, or again after being declared dead.
   *
   * @param node the peer
   */
  default void onNodeUp(NodeId node) {}

  /**
   * A peer missed heartbeats for longer than the failure timeout.
   *
   * @param node the peer
   */
  default void onNodeDown(NodeId node) {}
}
