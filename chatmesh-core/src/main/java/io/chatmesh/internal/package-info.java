/**
 * The engine behind {@link io.chatmesh.ChatNode}. Not API: types here may change in any release.
 * Concurrency model: node-wide state (peers, directory, name reservations, two-phase commit)
 * lives on one serial lane, the node lane; each room's state lives on its own serial lane; no locks
 * around either. A room lane never writes node-wide state: it posts the change to the node lane.
 * No lane calls the history store where it may block (room records, reads): those calls run on
 * the store pool and post results back. State owners check their lane with {@code
 * SerialExecutor.assertCurrent()} (on in tests). Incoming messages reach their lane through one
 * table, {@code Routes}.
 */
@NullMarked
package io.chatmesh.internal;

import org.jspecify.annotations.NullMarked;
