package io.chatmesh.transport.inmemory;

import io.chatmesh.spi.transport.Envelope;

/**
 * Decides per envelope whether an {@link InMemoryNetwork} delivers it; tests use it for targeted
 * faults ("drop every Vote from n3"). Must be thread-safe and fast.
 */
@FunctionalInterface
public interface LinkFilter {
  /** True to deliver, false to drop. */
  boolean allow(String fromAddress, String toAddress, Envelope envelope);
}
