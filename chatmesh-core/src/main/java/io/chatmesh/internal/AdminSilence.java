package io.chatmesh.internal;

/**
 * Whether a member node still counts for its room's admin (member role). An admin sends each
 * member node every released entry and, every other heartbeat, its tail; it sends nothing to a
 * node none of whose users it counts any more. So a node with local users that has heard nothing
 * of the room for a failure timeout while it hears the admin node alive was most likely dropped
 * (its users removed, and the removal lost on the way: violation V13 of the nemesis) and asks the
 * admin where its users stand. Not thread-safe: used on the room's lane only.
 */
final class AdminSilence {
  private final long timeoutMillis;
  /** When the room was last heard from its admin (entry, tail, sync answer), or -1 while not watched. */
  private long heardAt = -1;

  /**
   * @param timeoutMillis how long a silence means the admin no longer counts this node
   */
  AdminSilence(long timeoutMillis) {
    this.timeoutMillis = timeoutMillis;
  }

  /** The admin was heard about the room at {@code now}. */
  void heard(long now) {
    if (heardAt >= 0) {
      heardAt = now;
    }
  }

  /**
   * Called every few heartbeats: whether the room has been silent for the timeout while {@code
   * watching} (local users, admin node alive, room usable); a silence found restarts the count.
   * Not watching stops the count, so a silence is measured only while the admin had reason to talk.
   *
   * @param now the clock's millis
   * @param watching whether a silence would mean anything now
   * @return whether to ask the admin where this node's users stand
   */
  boolean silent(long now, boolean watching) {
    if (!watching) {
      heardAt = -1;
      return false;
    }
    if (heardAt < 0 || now - heardAt < timeoutMillis) {
      heardAt = heardAt < 0 ? now : heardAt;
      return false;
    }
    heardAt = now;
    return true;
  }
}
