/**
 * Fault injection for any transport: {@link io.chatmesh.transport.faults.FaultInjector} decorates
 * each node's {@link io.chatmesh.spi.transport.Transport} and drops, duplicates, reorders, delays,
 * partitions (one-way or two-way), stalls or pauses its links, driven by a seed and by the injected
 * {@link io.chatmesh.time.ChatClock}. Used by the cluster test suite over the in-memory network and
 * over gRPC on loopback, and by the nemesis tests.
 */
@NullMarked
package io.chatmesh.transport.faults;

import org.jspecify.annotations.NullMarked;
