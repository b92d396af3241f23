package io.chatmesh;

/**
 * Receives a member's room events. Calls for one room on one node are made one at a time, in
 * order, on a chatmesh thread: implementations need no locking for per-room state, but must not
 * block (hand slow work to your own executor). An exception thrown by a listener is logged and
 * does not affect other members.
 */
@FunctionalInterface
public interface RoomListener {
  /**
   * Called for each event, in order.
   *
   * @param event the event
   */
  void onEvent(RoomEvent event);
}
