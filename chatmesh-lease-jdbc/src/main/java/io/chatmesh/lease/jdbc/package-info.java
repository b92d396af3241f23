/**
 * Room leases over JDBC: {@link io.chatmesh.lease.jdbc.JdbcRoomLeases}, an implementation of the
 * {@link io.chatmesh.spi.lease.RoomLeases} SPI with one row per room, compare-and-set in one
 * transaction, and expiry judged by the database's clock. Runs on H2, PostgreSQL and CockroachDB.
 */
@NullMarked
package io.chatmesh.lease.jdbc;

import org.jspecify.annotations.NullMarked;
