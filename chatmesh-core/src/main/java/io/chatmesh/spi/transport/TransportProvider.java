package io.chatmesh.spi.transport;

/**
 * Creates {@link Transport}s by name, discovered through {@link java.util.ServiceLoader} (register
 * the implementation in {@code META-INF/services/io.chatmesh.spi.transport.TransportProvider}).
 * Implementations must be thread-safe and have a public no-argument constructor.
 */
public interface TransportProvider {

  /**
   * The name users pick it by, e.g. {@code grpc}.
   *
   * @return the provider's name
   */
  String name();

  /**
   * Creates an unstarted transport that will listen on {@code listenAddress} ({@code host:port},
   * port 0 for an ephemeral port).
   *
   * @param listenAddress {@code host:port} to listen on
   * @return a new, unstarted transport
   */
  Transport create(String listenAddress);
}
