package io.chatmesh.transport.grpc;

import io.chatmesh.testkit.AbstractUniqueNamesTest;
import io.chatmesh.testkit.TransportFixture;

/** The unique-names suite over real gRPC on 127.0.0.1 with ephemeral ports. */
class GrpcUniqueNamesTest extends AbstractUniqueNamesTest {
  @Override
  protected TransportFixture newFixture() {
    return new GrpcTransportFixture();
  }
}
