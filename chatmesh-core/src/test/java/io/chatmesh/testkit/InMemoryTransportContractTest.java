package io.chatmesh.testkit;

/** The transport contract over the in-memory transport. */
class InMemoryTransportContractTest extends AbstractTransportContractTest {
  @Override
  protected TransportFixture newFixture() {
    return new InMemoryTransportFixture();
  }
}
