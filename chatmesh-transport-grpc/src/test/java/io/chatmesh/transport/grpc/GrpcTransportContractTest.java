package io.chatmesh.transport.grpc;

import io.chatmesh.testkit.AbstractTransportContractTest;
import io.chatmesh.testkit.TransportFixture;

/** The transport contract over real gRPC on 127.0.0.1 with ephemeral ports. */
class GrpcTransportContractTest extends AbstractTransportContractTest {
  @Override
  protected TransportFixture newFixture() {
    return new GrpcTransportFixture();
  }
}
