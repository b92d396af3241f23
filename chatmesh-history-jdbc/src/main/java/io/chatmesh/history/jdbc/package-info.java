/**
 * A durable {@link io.chatmesh.spi.history.HistoryStore} over JDBC: {@link
 * io.chatmesh.history.jdbc.JdbcHistoryStore}. One schema and one set of SQL statements run
 * unchanged on embedded H2 (file database, the zero set-up default), PostgreSQL 15 and CockroachDB.
 */
@NullMarked
package io.chatmesh.history.jdbc;

import org.jspecify.annotations.NullMarked;
