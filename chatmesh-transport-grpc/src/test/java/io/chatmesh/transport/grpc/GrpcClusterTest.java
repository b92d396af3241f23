package io.chatmesh.transport.grpc;

import io.chatmesh.testkit.AbstractClusterTest;
import io.chatmesh.testkit.TransportFixture;

/** The cluster behaviour suite over real gRPC on 127.0.0.1 with ephemeral ports. */
class GrpcClusterTest extends AbstractClusterTest {
  @Override
  protected TransportFixture newFixture() {
    return new GrpcTransportFixture();
  }
}
