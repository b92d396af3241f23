package io.chatmesh.transport.grpc;

import io.chatmesh.spi.transport.PeerText;
import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names the peer in a log line when its connection or stream is closed for bad input that gRPC
 * handles below the application: a connection that never completes the HTTP/2 handshake (garbage
 * bytes, an HTTP/1 client, a port scanner) and a message larger than the maximum size. gRPC itself
 * only logs these without the peer's address.
 *
 * <p>Connections: {@link #serverChannel()} watches every accepted socket; {@link #transportReady}
 * marks those that completed the handshake; an unmarked one that closes is logged. Streams: the
 * {@link #tracerFactory()} sees each stream's final status. Thread-safe.
 */
final class ConnectionLogger extends ServerTransportFilter {
  private static final Logger log = LoggerFactory.getLogger(ConnectionLogger.class);

  private final GrpcTransport owner;
  /** Per transport: a stranger retrying is logged once per interval per host. */
  private final PeerText.Limited refusals = new PeerText.Limited(log, 10_000);
  private final Set<SocketAddress> ready = ConcurrentHashMap.newKeySet();

  ConnectionLogger(GrpcTransport owner) {
    this.owner = owner;
  }

  /** A server socket channel that reports each accepted connection's end to this logger. */
  NioServerSocketChannel serverChannel() {
    NioServerSocketChannel ch = new NioServerSocketChannel();
    ch.pipeline()
        .addLast(
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof Channel child) {
                  SocketAddress remote = child.remoteAddress();
                  child.closeFuture().addListener(f -> connectionClosed(remote));
                }
                ctx.fireChannelRead(msg);
              }
            });
    return ch;
  }

  @Override
  public Attributes transportReady(Attributes attrs) {
    SocketAddress remote = attrs.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    if (remote != null) {
      ready.add(remote);
    }
    return attrs;
  }

  private void connectionClosed(@Nullable SocketAddress remote) {
    if (remote == null || ready.remove(remote)) {
      log.debug("{}: connection from {} closed", owner.localAddress(), remote);
      return;
    }
    owner.counters.inboundStreamsRejected.incrementAndGet();
    // a stranger retrying (e.g. without a TLS certificate) is logged once per interval per host
    refusals.warn(
        "handshake/" + host(remote),
        owner.localAddress() + ": disconnected " + addr(remote) + ": it closed or was closed without a valid TLS/HTTP/2"
            + " handshake (garbage bytes, no valid certificate, or not a chatmesh peer)");
  }

  /** Logs streams closed because a message exceeded the maximum size. */
  ServerStreamTracer.Factory tracerFactory() {
    return new ServerStreamTracer.Factory() {
      @Override
      public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        String from = headers.get(GrpcTransport.FROM_HEADER);
        return new ServerStreamTracer() {
          private volatile @Nullable SocketAddress remote;

          @Override
          public void serverCallStarted(ServerCallInfo<?, ?> info) {
            remote = info.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
          }

          @Override
          public void streamClosed(Status status) {
            if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
              owner.counters.inboundStreamsRejected.incrementAndGet();
              log.warn(
                  "{}: closed inbound link from {}: {}",
                  owner.localAddress(),
                  describe(from, remote),
                  status.getDescription());
            }
          }
        };
      }
    };
  }

  /** A peer for log lines: the address it claims (cut and escaped) and the connection's address. */
  static String describe(@Nullable String claimed, @Nullable SocketAddress remote) {
    String r = remote == null ? "?" : addr(remote);
    return claimed == null ? r : PeerText.safe(claimed) + " (connection " + r + ")";
  }

  /** The remote host without the port: the key under which repeated complaints are limited. */
  static String host(@Nullable SocketAddress remote) {
    return remote instanceof InetSocketAddress i ? String.valueOf(i.getAddress()) : String.valueOf(remote);
  }

  private static String addr(SocketAddress a) {
    return a.toString().replaceFirst("^[^/]*/", "");
  }
}
