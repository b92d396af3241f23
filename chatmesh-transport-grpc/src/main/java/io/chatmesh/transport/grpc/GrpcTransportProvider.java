package io.chatmesh.transport.grpc;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.spi.transport.TransportProvider;
import java.nio.file.Path;

/**
 * Makes {@link GrpcTransport} available by the name {@code grpc}, so {@code
 * ChatNode.builder().transport("grpc", "127.0.0.1:9091")} works with this artifact on the class
 * path. Creates transports with {@link GrpcTransport.Builder}'s defaults; build a {@link
 * GrpcTransport} yourself to tune them. Stateless; thread-safe.
 *
 * <p>The security mode comes from the system property {@value #MODE_PROPERTY} or else the
 * environment variable {@value #MODE_ENV}: a directory holding {@code ca.pem}, {@code node.pem} and
 * {@code node.key} (mutual TLS, see {@link GrpcTls#fromDirectory}), or the word {@code plaintext}
 * (no authentication, no encryption, logged as INSECURE). Without either, {@link #create} refuses.
 */
public final class GrpcTransportProvider implements TransportProvider {
  /** System property naming the security mode: a TLS directory or {@code plaintext}. */
  public static final String MODE_PROPERTY = "chatmesh.grpc.tls";
  /** Environment variable read when {@link #MODE_PROPERTY} is not set. */
  public static final String MODE_ENV = "CHATMESH_GRPC_TLS";

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
   * @throws io.chatmesh.ChatException BAD_REQUEST if the address is not {@code host:port}, no
   *     security mode is set, or the TLS directory lacks a file
   */
  @Override
  public Transport create(String listenAddress) {
    GrpcTransport.Builder b = GrpcTransport.builder(listenAddress);
    String mode = System.getProperty(MODE_PROPERTY);
    if (mode == null || mode.isBlank()) {
      mode = System.getenv(MODE_ENV);
    }
    if (mode == null || mode.isBlank()) {
      throw new ChatException(
          ErrorCode.BAD_REQUEST,
          "the gRPC transport needs a security mode: set -D" + MODE_PROPERTY + " (or " + MODE_ENV + ") to a directory with"
              + " ca.pem, node.pem and node.key for mutual TLS, or to 'plaintext' for an unauthenticated, unencrypted"
              + " test setup; or build GrpcTransport.builder(...).tls(...) yourself");
    }
    return (mode.equals("plaintext") ? b.plaintext() : b.tls(GrpcTls.fromDirectory(Path.of(mode)))).build();
  }
}
