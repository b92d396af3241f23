/**
 * An in-memory transport for tests and single-JVM clusters: {@link
 * io.chatmesh.transport.inmemory.InMemoryNetwork} connects any number of nodes in one JVM and
 * crashes nodes instantly; the other faults (drop, duplicate, delay, reorder, partition, stall)
 * come from the {@link io.chatmesh.transport.faults.FaultInjector} decorating its transports.
 */
@NullMarked
package io.chatmesh.transport.inmemory;

import org.jspecify.annotations.NullMarked;
