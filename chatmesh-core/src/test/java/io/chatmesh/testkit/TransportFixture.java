package io.chatmesh.testkit;

import io.chatmesh.spi.transport.Transport;

/**
 * Creates transports for the abstract suites ({@code AbstractTransportContractTest}, {@code
 * AbstractClusterTest}) so each suite runs over every transport through a near-empty subclass.
 */
public interface TransportFixture extends AutoCloseable {

  /**
   * A fresh, unstarted transport for node {@code name}. When {@code name} was created before, the
   * new transport listens on the same address (a restarted node).
   */
  Transport create(String name);

  /**
   * Kills the transport of {@code name} abruptly, as if its process died: no goodbye, open
   * connections dropped, nothing sent or received any more.
   */
  void crash(String name);

  /** Releases everything the fixture created. */
  @Override
  void close();
}
