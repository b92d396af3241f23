package io.chatmesh.spi.lease;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Per-room leases from a consensus engine: the holder of a room's lease is the only node that may
 * sequence the room, and the lease's {@link Lease#epoch() epoch} is its fencing token. Implemented
 * in memory ({@code io.chatmesh.lease.InMemoryRoomLeases}), over JDBC ({@code chatmesh-lease-jdbc})
 * and over etcd ({@code chatmesh-lease-etcd}); every implementation passes the same contract suite.
 *
 * <p>Rules every implementation keeps:
 *
 * <ul>
 *   <li>At most one node holds a room's lease at a time, as judged by the backend's clock.
 *   <li>Each grant ({@link #acquire}) gets an epoch higher than every epoch the room had before,
 *       whoever held it, also after a {@link #release} (a deleted and re-created room never reuses
 *       an epoch). A {@link #renew} keeps the epoch.
 *   <li>A renewal fails once the lease has lapsed or been taken, even if nobody holds it now: the
 *       holder must then stop sequencing and acquire again (getting a new epoch).
 *   <li>Every call completes within the implementation's request timeout; when the backend cannot
 *       be reached it fails with {@link ErrorCode#UNAVAILABLE}, and the outcome of a mutation that
 *       timed out is unknown (a timed-out acquire may have been granted: it lapses unless renewed).
 * </ul>
 *
 * <p>The holder must follow the timing rule in the package documentation: stop sequencing at
 * {@link Lease#stopAtMillis(Duration)} unless renewed by then.
 *
 * <p>Thread-safety: implementations are thread-safe; futures may complete on an implementation
 * thread, so dependent actions must not block. Listeners are called one at a time per
 * subscription, in the order of the changes the implementation saw.
 *
 * <p>Errors: futures fail with {@link ChatException}: {@link ErrorCode#BAD_REQUEST} for a blank
 * room or a ttl out of range; {@link ErrorCode#NOT_ADMIN} when another node holds the lease, when a
 * lease to renew has lapsed or was taken, or when an epoch is stale (the message names the current
 * holder and epoch); {@link ErrorCode#UNAVAILABLE} when the backend cannot be reached in time or
 * this instance is closed.
 */
public interface RoomLeases extends AutoCloseable {

  /**
   * Takes the room's lease for {@code node} if nobody holds it (it is free, released, or has
   * lapsed), with an epoch higher than any the room had.
   *
   * @param room the room's name, not blank
   * @param node the node that will hold the lease
   * @param ttl the lease duration, positive; implementations may round it up (never down) to their
   *     granularity
   * @return the granted lease; fails with {@link ErrorCode#NOT_ADMIN} naming the holder when the
   *     lease is held, also when it is held by {@code node} itself (renew that lease instead)
   */
  CompletableFuture<Lease> acquire(String room, NodeId node, Duration ttl);

  /**
   * Extends a lease this node holds by its {@link Lease#ttl()} from now, keeping its epoch.
   *
   * @param lease the lease as last granted or renewed
   * @return the renewed lease with a later {@link Lease#expiresAtMillis()}; fails with {@link
   *     ErrorCode#NOT_ADMIN} when the lease has lapsed or another node took it: stop sequencing
   */
  CompletableFuture<Lease> renew(Lease lease);

  /**
   * Gives the lease up so another node can take it at once. The room's epoch is kept: the next
   * grant gets a higher one. Does nothing when the lease has already lapsed or been taken.
   *
   * @param lease the lease to give up
   * @return completes once released
   */
  CompletableFuture<Void> release(Lease lease);

  /**
   * The room's current lease as the backend sees it now.
   *
   * @param room the room's name, not blank
   * @return the lease, or empty when nobody holds it (never granted, released, or lapsed); its
   *     {@link Lease#expiresAtMillis()} is an estimate on this node's clock
   */
  CompletableFuture<Optional<Lease>> current(String room);

  /**
   * Checks that {@code epoch} is still the room's newest epoch, as a replica or store would before
   * accepting an entry from a sequencer. The JDBC implementation also offers this check inside a
   * caller's transaction.
   *
   * @param room the room's name, not blank
   * @param epoch the sequencer's epoch
   * @return completes when {@code epoch} is the room's newest; fails with {@link
   *     ErrorCode#NOT_ADMIN} naming the newest epoch when it is older (or was never granted)
   */
  CompletableFuture<Void> fence(String room, long epoch);

  /**
   * Calls {@code listener} whenever the room's lease gets a new holder or epoch, is released, or
   * lapses (plain renewals are not reported). The first call reports the state when observation
   * starts. Implementations that poll or watch may merge changes that follow each other quickly, but
   * always report the latest state they saw.
   *
   * @param room the room's name, not blank
   * @param listener what to call; must not block
   * @return a handle that stops the observation
   */
  Observation observe(String room, Listener listener);

  /** Stops observations and releases the implementation's resources; leases are not released. */
  @Override
  void close();

  /** Receives lease changes of one room. */
  @FunctionalInterface
  interface Listener {
    /**
     * The room's lease changed.
     *
     * @param room the room observed
     * @param current the lease now, or empty when nobody holds it
     */
    void changed(String room, Optional<Lease> current);
  }

  /** A running observation; closing it stops the calls to its listener. */
  @FunctionalInterface
  interface Observation extends AutoCloseable {
    /** Stops the observation; a call already running may still finish. */
    @Override
    void close();
  }
}
