package io.chatmesh.spi.lease;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import java.time.Duration;
import java.util.Objects;

/**
 * A granted lease: {@code holder} may sequence {@code room} with {@code epoch} until the lease
 * lapses. The epoch is the fencing token: it strictly increases per room with every grant, across
 * holders, releases, and the deletion and re-creation of a room, so a store or replica that has seen
 * epoch {@code e} can refuse anything older. Immutable; thread-safe.
 *
 * @param room the room's name
 * @param holder the node holding the lease
 * @param epoch the fencing token, at least 1
 * @param ttl the lease duration asked for when it was granted or last renewed
 * @param expiresAtMillis when the lease lapses at the latest, on the clock of the node that holds
 *     this object ({@link io.chatmesh.time.ChatClock#millis()}): for the holder, the time just
 *     before its request was sent plus {@code ttl}, which is never later than the backend's own
 *     expiry; for an observer, an estimate from the remaining time the backend reported
 */
public record Lease(String room, NodeId holder, long epoch, Duration ttl, long expiresAtMillis) {

  /**
   * Checks the components.
   *
   * @param room the room's name
   * @param holder the node holding the lease
   * @param epoch the fencing token, at least 1
   * @param ttl the lease duration
   * @param expiresAtMillis when the lease lapses at the latest, on this node's clock
   * @throws ChatException {@link ErrorCode#BAD_REQUEST} for an invalid room name, an epoch below 1 or a
   *     ttl that is not positive
   */
  public Lease {
    Objects.requireNonNull(room, "room");
    Objects.requireNonNull(holder, "holder");
    Objects.requireNonNull(ttl, "ttl");
    LeaseChecks.room(room);
    if (epoch < 1) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "lease epoch must be at least 1, got " + epoch);
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "lease ttl must be positive, got " + ttl);
    }
  }

  /**
   * When the holder must have stopped sequencing if it has not renewed by then: {@link
   * #expiresAtMillis()} minus the bound on clock drift over one lease duration.
   *
   * @param maxDrift how much the holder's and the backend's clocks may drift apart over one lease
   *     duration, not negative
   * @return the last millisecond (holder's clock) at which sequencing is allowed
   */
  public long stopAtMillis(Duration maxDrift) {
    if (maxDrift.isNegative()) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "maxDrift must not be negative, got " + maxDrift);
    }
    return expiresAtMillis - maxDrift.toMillis();
  }

  /**
   * A short description for logs and error messages: room, holder and epoch.
   *
   * @return e.g. {@code "room 'lobby' held by node-2 at epoch 5"}
   */
  public String describe() {
    return "room '" + room + "' held by " + holder.value() + " at epoch " + epoch;
  }
}
