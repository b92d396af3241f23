/**
 * The in-memory {@link io.chatmesh.spi.lease.RoomLeases}, for tests and one-JVM clusters. The etcd
 * and JDBC implementations live in {@code chatmesh-lease-etcd} and {@code chatmesh-lease-jdbc}.
 */
@NullMarked
package io.chatmesh.lease;

import org.jspecify.annotations.NullMarked;
