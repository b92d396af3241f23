package io.chatmesh.websocket;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The Netty side of a started gateway: its event loops (one boss thread that accepts, {@code
 * workerThreads} that serve the connections; daemon threads named {@code chatmesh-ws-boss-N} and
 * {@code chatmesh-ws-N}), the listening socket, and the periodic re-read of the TLS files on the
 * boss loop. {@link #bind} starts all of it; {@link #stopAccepting} and then {@link #shutdown} end
 * it, in that order, with the gateway closing its client connections in between.
 *
 * <p>Not thread-safe on its own: {@link WebSocketGateway} calls it under its lifecycle lock.
 */
final class GatewayServer {
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Channel serverChannel;
  private final int port;
  private final @Nullable ScheduledFuture<?> tlsReloading;

  private GatewayServer(
      EventLoopGroup boss, EventLoopGroup workers, Channel serverChannel, @Nullable ScheduledFuture<?> tlsReloading) {
    this.boss = boss;
    this.workers = workers;
    this.serverChannel = serverChannel;
    this.port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
    this.tlsReloading = tlsReloading;
  }

  /**
   * Starts the event loops and binds {@code settings.host:settings.port}; every accepted
   * connection is set up by {@code channels}.
   *
   * @throws ChatException UNAVAILABLE if the address cannot be bound (the event loops are shut
   *     down again first)
   */
  static GatewayServer bind(GatewaySettings settings, ChannelInitializer<SocketChannel> channels) {
    int instance = INSTANCES.incrementAndGet();
    EventLoopGroup b =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("chatmesh-ws-boss-" + instance, true), NioIoHandler.newFactory());
    EventLoopGroup w =
        new MultiThreadIoEventLoopGroup(
            settings.workerThreads,
            new DefaultThreadFactory("chatmesh-ws-" + instance, true),
            NioIoHandler.newFactory());
    try {
      ServerBootstrap bootstrap =
          new ServerBootstrap()
              .group(b, w)
              .channel(NioServerSocketChannel.class)
              .option(ChannelOption.SO_BACKLOG, 256)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(channels);
      Channel ch = bootstrap.bind(settings.host, settings.port).syncUninterruptibly().channel();
      ScheduledFuture<?> reloading = null;
      GatewayTls tls = settings.tls;
      if (tls != null) {
        long period = tls.refreshPeriod().toMillis();
        reloading = b.scheduleWithFixedDelay(tls::reload, period, period, TimeUnit.MILLISECONDS);
      }
      return new GatewayServer(b, w, ch, reloading);
    } catch (RuntimeException e) {
      shutdown(w, b);
      throw new ChatException(
          ErrorCode.UNAVAILABLE, "cannot bind WebSocket gateway to " + settings.host + ":" + settings.port + ": " + e, e);
    }
  }

  /** The bound port. */
  int port() {
    return port;
  }

  /** Stops the TLS refresh and closes the listening socket (waiting up to 2 s): no new connections. */
  void stopAccepting() {
    ScheduledFuture<?> reloading = tlsReloading;
    if (reloading != null) {
      reloading.cancel(false);
    }
    serverChannel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
  }

  /** Shuts the event loops down, waiting up to 5 s for each. */
  void shutdown() {
    shutdown(workers, boss);
  }

  private static void shutdown(EventLoopGroup w, EventLoopGroup b) {
    w.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    b.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    w.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
    b.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
