package io.chatmesh.internal;

import io.chatmesh.UserId;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.Sequenced;
import java.util.HashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A room's ownership as its admin knows it, rebuilt from the log's SETTINGS, INVITED and UNINVITED
 * entries: the owner (null for a room created without one), whether the room is private, and who
 * is invited. Not thread-safe: used on the room's lane only.
 */
final class Ownership {
  private @Nullable UserId owner;
  private boolean privateRoom;
  private final Set<UserId> invited = new HashSet<>();

  /** Whether an entry of this kind changes the room's ownership settings (and is no room event). */
  static boolean isSettings(EventKind kind) {
    return kind == EventKind.SETTINGS || kind == EventKind.INVITED || kind == EventKind.UNINVITED;
  }

  /** Applies a SETTINGS, INVITED or UNINVITED entry; ignores any other. */
  void apply(Sequenced e) {
    switch (e.kind()) {
      case SETTINGS -> {
        owner = e.user();
        privateRoom = e.text().equals("private");
      }
      case INVITED -> invited.add(e.user());
      case UNINVITED -> invited.remove(e.user());
      default -> { }
    }
  }

  boolean isOwner(UserId user) {
    return owner != null && owner.equals(user);
  }

  boolean isInvited(UserId user) {
    return invited.contains(user);
  }

  /** Whether {@code user} may join: anyone in a public room; the owner and invited users in a private one. */
  boolean mayJoin(UserId user) {
    return !privateRoom || user.equals(owner) || invited.contains(user);
  }

  /** Why {@code by} may not do {@code what} in room {@code room}. */
  String notOwner(String room, UserId by, String what) {
    return owner == null
        ? "room '" + room + "' has no owner; no user may " + what
        : "only the owner of room '" + room + "' (" + owner + ") may " + what + ", not " + by;
  }
}
