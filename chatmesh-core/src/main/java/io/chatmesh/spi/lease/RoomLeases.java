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
 *   <li>Each grant ({@link #acquire}, {@link #takeOver}) gets an epoch higher than every epoch the room had before,
 *       whoever held it, also after a {@link #release} (a deleted and re-created room never reuses
 *       an epoch). A {@link #renew} keeps the epoch.
 *   <li>A renewal fails once the lease has lapsed or been taken, even if nobody holds it now: the
 *       holder must then stop sequencing and acquire again (getting a new epoch).
 *   <li>A room's deletion is fenced here: {@link #retire} releases the room's current lease and
 *       marks the room retired in one atomic step, and only if that lease is still current; while
 *       the room is retired {@link #takeOver} refuses it ({@link ErrorCode#UNKNOWN_ROOM}), so a
 *       replica that missed the deletion cannot revive the room. {@link #acquire} is a creation's
 *       grant: it clears the mark (the name is re-created), with an epoch higher than before.
 *   <li>Every call completes within the implementation's request timeout; when the backend cannot
 *       be reached it fails with {@link ErrorCode#UNAVAILABLE}, and the outcome of a mutation that
 *       timed out is unknown (a timed-out acquire may have been granted: it lapses unless renewed).
 * </ul>
 *
 * <p>With {@link io.chatmesh.Failover} the engine acquires a room's lease with {@link #acquire}
 * when it creates the room and with {@link #takeOver} when it takes the room over from another
 * admin; the admin deleting a room retires it ({@link #retire}) once every participant of the
 * deletion's two-phase commit voted READY and before any is told to commit: the backend is the
 * deletion's commit point and its tombstone. Nodes that still list a deleted room ask {@link
 * #retired} now and then and drop it.
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
 * lease to renew or retire has lapsed or was taken, or when an epoch is stale (the message names the
 * current holder and epoch); {@link ErrorCode#UNKNOWN_ROOM} when a takeover meets a retired room;
 * {@link ErrorCode#UNAVAILABLE} when the backend cannot be reached in time or
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
   * Takes the room's lease for {@code node} to take the room over from its previous admin: grants
   * like {@link #acquire}, but refuses a room that was {@link #retire retired} (deleted) since its
   * last creation, and never clears that mark.
   *
   * @param room the room's name, not blank
   * @param node the node that will hold the lease
   * @param ttl the lease duration, positive; rounded as by {@link #acquire}
   * @return the granted lease; fails with {@link ErrorCode#UNKNOWN_ROOM} when the room is retired
   *     (the room was deleted: end it locally, do not try again), with {@link ErrorCode#NOT_ADMIN}
   *     naming the holder when the lease is held
   */
  CompletableFuture<Lease> takeOver(String room, NodeId node, Duration ttl);

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
   * Deletes the room at the backend, atomically: if {@code lease} is still the room's current
   * lease (same holder and epoch, not lapsed), releases it and marks the room retired, so that
   * {@link #takeOver} refuses it from now on until an {@link #acquire} re-creates it. The room's
   * epoch is kept (the next grant gets a higher one). Retiring is the commit point of a room's
   * deletion with failover: a deletion whose retire fails must not commit.
   *
   * @param lease the deleting admin's lease as last granted or renewed
   * @return completes once the room is retired; fails with {@link ErrorCode#NOT_ADMIN} (nothing
   *     changed) when the lease has lapsed, was released or another node took it; a retire that
   *     fails {@link ErrorCode#UNAVAILABLE} may or may not have happened ({@link #retired} tells)
   */
  CompletableFuture<Void> retire(Lease lease);

  /**
   * Whether the room is retired now: retired by {@link #retire} and not re-created by an {@link
   * #acquire} since. For nodes that still list a room which may have been deleted while they did
   * not hear it.
   *
   * @param room the room's name, not blank
   * @return true when the room is retired; false when it never was (also for a room the backend
   *     never heard of) or was re-created since
   */
  CompletableFuture<Boolean> retired(String room);

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
