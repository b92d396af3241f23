package io.chatmesh;

import io.chatmesh.testkit.AbstractUniqueNamesTest;
import io.chatmesh.testkit.InMemoryTransportFixture;
import io.chatmesh.testkit.TransportFixture;

/** The unique-names suite over the in-memory transport. */
class InMemoryUniqueNamesTest extends AbstractUniqueNamesTest {
  @Override
  protected TransportFixture newFixture() {
    return new InMemoryTransportFixture(42);
  }
}
