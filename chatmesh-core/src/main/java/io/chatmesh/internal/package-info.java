/**
 * The engine behind {@link io.chatmesh.ChatNode}. Not API: types here may change in any release.
 * Concurrency model: node-wide state (peers, directory, name reservations) lives on one serial
 * lane; each room's state lives on its own serial lane; no locks around either.
 */
@NullMarked
package io.chatmesh.internal;

import org.jspecify.annotations.NullMarked;
