/**
 * The lease SPI: who may sequence a room, and with which epoch, decided by an existing consensus
 * engine (etcd, a JDBC database, or in memory for tests and one-JVM clusters) rather than by the
 * chat nodes among themselves. See {@link io.chatmesh.spi.lease.RoomLeases}.
 *
 * <p><b>Not used by the engine yet.</b> This is the first building block of failover; a later
 * version of the node engine will hold a lease per administered room.
 *
 * <h2>The timing rule</h2>
 *
 * A holder that cannot renew must stop sequencing <em>before</em> the lease can be granted to
 * another node. The backend judges expiry by its own clock (the database's, etcd's), counted from
 * when it granted or renewed the lease; the holder judges it by its own clock, counted from just
 * before it sent the request ({@link io.chatmesh.spi.lease.Lease#expiresAtMillis()}), which is never
 * later than the backend's grant. So with a renewal attempted every {@code renewEvery}, each bounded
 * by {@code renewTimeout}, and clocks whose rates differ by at most {@code maxDrift} over one
 * lease duration, the holder is safe if it stops at {@code expiresAtMillis - maxDrift} ({@link
 * io.chatmesh.spi.lease.Lease#stopAtMillis(java.time.Duration)}) and the lease duration satisfies
 * <pre>  ttl &gt; renewEvery + renewTimeout + maxDrift</pre>
 * (so a healthy holder renews long before it has to stop). Absolute clock offsets between nodes do
 * not matter: no node compares its clock with another's.
 */
@NullMarked
package io.chatmesh.spi.lease;

import org.jspecify.annotations.NullMarked;
