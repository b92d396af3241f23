package io.chatmesh.transport.inmemory;

import io.chatmesh.spi.transport.Envelope;

/**
 * Decides per envelope whether an {@link InMemoryNetwork} delivers it; tests use it for targeted
 * faults ("drop every Vote from n3"). Must be thread-safe and fast.
 */
@FunctionalInterface
public interface LinkFilter {
  /**
   * True to deliver, false to drop.
   *
   * @param fromAddress the sender's address
   * @param toAddress the receiver's address
   * @param envelope the envelope
   * @return whether to deliver it
   */
  boolean allow(String fromAddress, String toAddress, Envelope envelope);
}
