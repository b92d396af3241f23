/**
 * The lease SPI: who may sequence a room, and with which epoch, decided by an existing consensus
 * engine (etcd, a JDBC database, or in memory for tests and one-JVM clusters) rather than by the
 * chat nodes among themselves. See {@link io.chatmesh.spi.lease.RoomLeases}.
 *
 * <p>The engine uses it with {@link io.chatmesh.Failover}: a node holds the lease of every room it
 * administers (renewed every {@code renewInterval}) and takes a room's lease before taking the room
 * over. The lease decides who may sequence; the room's data epoch, which a new admin picks above
 * every epoch it has seen and gets promised by a majority of replicas (or recorded in a shared
 * history store), fences the data path.
 *
 * <h2>The timing rule</h2>
 *
 * A holder that cannot renew must stop sequencing <em>before</em> the lease can be granted to
 * another node. The backend judges expiry by its own clock (the database's, etcd's), counted from
 * when it granted or renewed the lease; the holder judges it by its own clock ({@link
 * io.chatmesh.time.ChatClock}, injectable), counted from just before it sent the request ({@link
 * io.chatmesh.spi.lease.Lease#expiresAtMillis()}), which is never later than the backend's grant.
 * Absolute clock offsets between nodes therefore do not matter; only the rates may differ, by at
 * most {@code maxDrift} over one lease duration.
 *
 * <ul>
 *   <li><b>Safety</b>: the holder stops sequencing at {@link
 *       io.chatmesh.spi.lease.Lease#stopAtMillis(java.time.Duration) expiresAtMillis - maxDrift}
 *       unless a renewal has succeeded by then, whether or not the renewal is still in flight. Then
 *       it has stopped before the backend's expiry, the earliest moment another node can be granted
 *       the lease. Entries already on their way are refused by fencing ({@code fence}) once a newer
 *       epoch is granted.
 *   <li><b>Liveness</b>: with a renewal started every {@code renewEvery} and each bounded by the
 *       implementation's request timeout {@code renewTimeout}, a healthy holder never reaches its
 *       stop time if
 *       <pre>  ttl &gt; renewEvery + renewTimeout + maxDrift</pre>
 *       which in particular means the lease duration exceeds the renewal timeout plus the drift
 *       bound.
 * </ul>
 */
@NullMarked
package io.chatmesh.spi.lease;

import org.jspecify.annotations.NullMarked;
