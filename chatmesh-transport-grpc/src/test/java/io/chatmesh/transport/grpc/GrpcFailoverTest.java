package io.chatmesh.transport.grpc;

import io.chatmesh.testkit.AbstractFailoverTest;
import io.chatmesh.testkit.TransportFixture;

/** The failover suite over real gRPC on 127.0.0.1 with ephemeral ports. */
class GrpcFailoverTest extends AbstractFailoverTest {
  @Override
  protected TransportFixture newFixture() {
    return new GrpcTransportFixture();
  }
}
