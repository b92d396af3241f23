package io.chatmesh.transport.faults;

import io.chatmesh.spi.transport.Envelope;

/**
 * Decides per envelope whether a {@link FaultInjector} lets it through; tests use it for targeted
 * faults ("drop every Vote from n3"). Nodes are named as they were given to {@link
 * FaultInjector#wrap} (for an {@code InMemoryNetwork} the name is the address). Implementations
 * must be thread-safe and fast; they may count or record what passes.
 */
@FunctionalInterface
public interface LinkFilter {
  /**
   * True to deliver, false to drop.
   *
   * @param fromNode the sending node
   * @param toNode the receiving node
   * @param envelope the envelope
   * @return whether to deliver it
   */
  boolean allow(String fromNode, String toNode, Envelope envelope);
}
