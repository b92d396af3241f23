package io.chatmesh.transport.grpc;

import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.ServerTransportFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs inbound connections that end without ever completing an HTTP/2 handshake. */
final class ConnectionLogger extends ServerTransportFilter {
  private static final Logger log = LoggerFactory.getLogger(ConnectionLogger.class);
  private static final Attributes.Key<Boolean> READY = Attributes.Key.create("chatmesh.ready");

  private final GrpcTransport owner;

  ConnectionLogger(GrpcTransport owner) {
    this.owner = owner;
  }

  @Override
  public Attributes transportReady(Attributes attrs) {
    log.debug("{}: connection from {} ready", owner.localAddress(), attrs.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
    return attrs.toBuilder().set(READY, Boolean.TRUE).build();
  }

  @Override
  public void transportTerminated(Attributes attrs) {
    Object remote = attrs.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    if (attrs.get(READY) == null) {
      log.warn(
          "{}: connection from {} closed before a valid HTTP/2 handshake (not a chatmesh peer, or garbage bytes)",
          owner.localAddress(),
          remote);
    } else {
      log.debug("{}: connection from {} closed", owner.localAddress(), remote);
    }
  }
}
