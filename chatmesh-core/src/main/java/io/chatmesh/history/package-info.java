/**
 * History store implementations that ship in core: {@link io.chatmesh.history.InMemoryHistoryStore}
 * (the default, bounded per room) and {@link io.chatmesh.history.HistoryValidation}, the argument
 * checks every {@link io.chatmesh.spi.history.HistoryStore} implementation shares. A JDBC store
 * lives in the module {@code chatmesh-history-jdbc}.
 */
@NullMarked
package io.chatmesh.history;

import org.jspecify.annotations.NullMarked;
