/**
 * The history SPI: where a room administrator keeps the room's log so members can get history on
 * join and resume after a reconnect. In memory by default; a JDBC implementation lives in {@code
 * chatmesh-history-jdbc}.
 */
@NullMarked
package io.chatmesh.spi.history;

import org.jspecify.annotations.NullMarked;
