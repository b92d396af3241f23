package io.chatmesh.testkit;

import io.chatmesh.spi.transport.Transport;
import io.chatmesh.transport.inmemory.InMemoryNetwork;

/** {@link TransportFixture} over an {@link InMemoryNetwork}; the address of node {@code n1} is {@code n1}. */
public final class InMemoryTransportFixture implements TransportFixture {
  private final InMemoryNetwork network;

  /** A fixture over a network seeded with {@code seed}. */
  public InMemoryTransportFixture(long seed) {
    this.network = new InMemoryNetwork(seed);
  }

  /** A fixture over a randomly seeded network. */
  public InMemoryTransportFixture() {
    this(System.nanoTime());
  }

  @Override
  public Transport create(String name) {
    return network.transport(name);
  }

  @Override
  public void crash(String name) {
    network.crash(name);
  }

  @Override
  public void close() {
    network.close();
  }
}
