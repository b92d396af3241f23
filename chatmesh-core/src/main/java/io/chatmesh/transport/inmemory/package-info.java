/**
 * An in-memory transport for tests and single-JVM clusters: {@link
 * io.chatmesh.transport.inmemory.InMemoryNetwork} connects any number of nodes in one JVM and
 * injects faults on demand (drop, duplicate, delay, reorder, partition/heal, crash).
 */
@NullMarked
package io.chatmesh.transport.inmemory;

import org.jspecify.annotations.NullMarked;
