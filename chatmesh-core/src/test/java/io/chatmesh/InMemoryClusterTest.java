package io.chatmesh;

import io.chatmesh.testkit.AbstractClusterTest;
import io.chatmesh.testkit.InMemoryTransportFixture;
import io.chatmesh.testkit.TransportFixture;

/** The cluster behaviour suite over the in-memory transport. */
class InMemoryClusterTest extends AbstractClusterTest {
  @Override
  protected TransportFixture newFixture() {
    return new InMemoryTransportFixture(42);
  }
}
