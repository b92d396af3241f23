package io.chatmesh.transport.grpc;

import io.chatmesh.spi.transport.Transport;
import io.chatmesh.spi.transport.TransportProvider;

/**
 * Makes {@link GrpcTransport} available by the name {@code grpc}, so {@code
 * ChatNode.builder().transport("grpc", "127.0.0.1:9091")} works with this artifact on the class
 * path. Creates transports with {@link GrpcTransport.Builder}'s defaults; build a {@link
 * GrpcTransport} yourself to tune them. Stateless; thread-safe.
 */
public final class GrpcTransportProvider implements TransportProvider {

  /** Used by {@link java.util.ServiceLoader}. */
  public GrpcTransportProvider() {}

  /** Returns {@code grpc}. */
  @Override
  public String name() {
    return "grpc";
  }

  /**
   * An unstarted gRPC transport listening on {@code listenAddress}.
   *
   * @throws io.chatmesh.ChatException BAD_REQUEST if the address is not {@code host:port}
   */
  @Override
  public Transport create(String listenAddress) {
    return GrpcTransport.builder(listenAddress).build();
  }
}
