package io.chatmesh;

import io.chatmesh.testkit.AbstractFailoverTest;
import io.chatmesh.testkit.InMemoryTransportFixture;
import io.chatmesh.testkit.TransportFixture;

/** The failover suite over the in-memory transport. */
class InMemoryFailoverTest extends AbstractFailoverTest {
  @Override
  protected TransportFixture newFixture() {
    return new InMemoryTransportFixture(42);
  }
}
