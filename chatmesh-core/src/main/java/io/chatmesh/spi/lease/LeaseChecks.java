package io.chatmesh.spi.lease;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.Identifiers;
import io.chatmesh.NodeId;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Argument checks and error messages shared by the {@link RoomLeases} implementations, so every
 * backend rejects the same input with the same code and words. Stateless; thread-safe.
 */
public final class LeaseChecks {
  /** The longest lease duration accepted: one day. */
  public static final Duration MAX_TTL = Duration.ofDays(1);

  private LeaseChecks() {}

  /**
   * Checks a room name: the same rule as every room name ({@link Identifiers}), so backends can
   * use it in keys as it is.
   *
   * @param room the name
   * @return {@code room}
   * @throws ChatException {@link ErrorCode#BAD_REQUEST} when null, blank, longer than {@link
   *     Identifiers#MAX_LENGTH} or with characters outside {@code [A-Za-z0-9._-]}
   */
  public static String room(String room) {
    return Identifiers.check("lease room", room);
  }

  /**
   * Checks a lease duration.
   *
   * @param ttl the duration
   * @return {@code ttl}
   * @throws ChatException {@link ErrorCode#BAD_REQUEST} when null, not positive or above {@link
   *     #MAX_TTL}
   */
  public static Duration ttl(Duration ttl) {
    if (ttl == null || ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "lease ttl must be positive and at most " + MAX_TTL + ", got " + ttl);
    }
    return ttl;
  }

  /**
   * Checks the arguments of {@link RoomLeases#acquire}.
   *
   * @param room the room's name
   * @param node the node
   * @param ttl the lease duration
   * @throws ChatException {@link ErrorCode#BAD_REQUEST} naming the first invalid argument
   */
  public static void acquire(String room, NodeId node, Duration ttl) {
    room(room);
    notNull(node, "node");
    ttl(ttl);
  }

  /**
   * Checks a positive duration in an implementation's configuration (a timeout, an interval).
   *
   * @param value the duration
   * @param what its name, for the message
   * @return {@code value}
   * @throws ChatException {@link ErrorCode#BAD_REQUEST} when null, zero or negative
   */
  public static Duration positive(Duration value, String what) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new ChatException(ErrorCode.BAD_REQUEST, what + " must be positive, got " + value);
    }
    return value;
  }

  /**
   * Checks a non-null argument.
   *
   * @param value the argument
   * @param what its name, for the message
   * @param <T> its type
   * @return {@code value}
   * @throws ChatException {@link ErrorCode#BAD_REQUEST} when null
   */
  public static <T> T notNull(T value, String what) {
    if (value == null) {
      throw new ChatException(ErrorCode.BAD_REQUEST, what + " must not be null");
    }
    return value;
  }

  /**
   * The error for an acquire refused because the lease is held.
   *
   * @param current the lease that is held
   * @return a {@link ErrorCode#NOT_ADMIN} exception naming the holder and epoch
   */
  public static ChatException held(Lease current) {
    Objects.requireNonNull(current, "current");
    return new ChatException(ErrorCode.NOT_ADMIN, "lease on " + current.describe());
  }

  /**
   * The error for a renewal of a lease that lapsed or was taken.
   *
   * @param lease the lease the caller tried to renew
   * @param now who holds it now (may be null: nobody)
   * @return a {@link ErrorCode#NOT_ADMIN} exception telling the caller to stop sequencing
   */
  public static ChatException lost(Lease lease, @Nullable Lease now) {
    return new ChatException(
        ErrorCode.NOT_ADMIN,
        "lease on room '" + lease.room() + "' at epoch " + lease.epoch() + " for " + lease.holder().value()
            + " has lapsed or was taken (now " + (now == null ? "free" : now.describe()) + "); stop sequencing");
  }

  /**
   * The error for a stale fencing token.
   *
   * @param room the room
   * @param epoch the epoch offered
   * @param newest the room's newest epoch (0 when never granted)
   * @return a {@link ErrorCode#NOT_ADMIN} exception naming the newest epoch
   */
  public static ChatException stale(String room, long epoch, long newest) {
    return new ChatException(
        ErrorCode.NOT_ADMIN,
        "stale epoch " + epoch + " for room '" + room + "': the newest epoch is " + newest);
  }

  /**
   * The error for a takeover of a retired (deleted) room.
   *
   * @param room the room
   * @return an {@link ErrorCode#UNKNOWN_ROOM} exception saying the room was deleted
   */
  public static ChatException retired(String room) {
    return new ChatException(
        ErrorCode.UNKNOWN_ROOM,
        "room '" + room + "' was deleted (it is retired at the lease backend); only a new creation takes its lease");
  }
}
