/**
 * Room leases in etcd: {@link io.chatmesh.lease.etcd.EtcdRoomLeases}, an implementation of the
 * {@link io.chatmesh.spi.lease.RoomLeases} SPI through the jetcd client.
 */
@NullMarked
package io.chatmesh.lease.etcd;

import org.jspecify.annotations.NullMarked;
