package io.chatmesh.websocket;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Netty server behind a {@link WebSocketGateway} and its lifecycle (not started, started,
 * closed): its event loops (one boss thread that accepts, {@code workerThreads} that serve the
 * connections; daemon threads named {@code chatmesh-ws-boss-N} and {@code chatmesh-ws-N}), the
 * listening socket, and the periodic re-read of the TLS files on the boss loop. {@link #close}
 * stops accepting, closes every client connection through {@link GatewayChannels}, then shuts the
 * event loops down.
 *
 * <p>Thread-safe: {@link #start}, {@link #port} and {@link #close} may be called by any thread
 * and are serialized by one lock.
 */
final class GatewayServer {
  /** Logs as the gateway it serves. */
  private static final Logger log = LoggerFactory.getLogger(WebSocketGateway.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final GatewaySettings settings;
  private final GatewayChannels channels;
  private final Object lifecycle = new Object();
  private @Nullable EventLoopGroup boss;
  private @Nullable EventLoopGroup workers;
  private @Nullable Channel serverChannel;
  private int boundPort = -1;
  private @Nullable ScheduledFuture<?> tlsReloading;
  private boolean started;
  private boolean closed;

  GatewayServer(GatewaySettings settings, GatewayChannels channels) {
    this.settings = settings;
    this.channels = channels;
  }

  /**
   * Starts the event loops and binds {@code settings.host:settings.port}; every accepted
   * connection is set up by {@link GatewayChannels}.
   *
   * @throws ChatException UNAVAILABLE if the address cannot be bound (the event loops are shut
   *     down again and the server counts as closed); BAD_REQUEST if already started or closed
   */
  void start() {
    synchronized (lifecycle) {
      if (started || closed) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "gateway already " + (closed ? "closed" : "started"));
      }
      started = true;
      int instance = INSTANCES.incrementAndGet();
      EventLoopGroup b =
          new MultiThreadIoEventLoopGroup(
              1, new DefaultThreadFactory("chatmesh-ws-boss-" + instance, true), NioIoHandler.newFactory());
      EventLoopGroup w =
          new MultiThreadIoEventLoopGroup(
              settings.workerThreads,
              new DefaultThreadFactory("chatmesh-ws-" + instance, true),
              NioIoHandler.newFactory());
      boss = b;
      workers = w;
      try {
        ServerBootstrap bootstrap =
            new ServerBootstrap()
                .group(b, w)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 256)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(channels);
        Channel ch = bootstrap.bind(settings.host, settings.port).syncUninterruptibly().channel();
        serverChannel = ch;
        boundPort = ((InetSocketAddress) ch.localAddress()).getPort();
        GatewayTls tls = settings.tls;
        if (tls != null) {
          long period = tls.refreshPeriod().toMillis();
          tlsReloading = b.scheduleWithFixedDelay(tls::reload, period, period, TimeUnit.MILLISECONDS);
        }
      } catch (RuntimeException e) {
        shutdownGroups();
        closed = true;
        throw new ChatException(
            ErrorCode.UNAVAILABLE, "cannot bind WebSocket gateway to " + settings.host + ":" + settings.port + ": " + e, e);
      }
      if (settings.authenticator == Authenticator.ALLOW_ALL) {
        log.warn("INSECURE: open authentication: WebSocket clients of node {} may connect as any user name"
            + " (configure an Authenticator, e.g. JwtAuthenticator)", settings.node.id());
      }
      log.info("WebSocket gateway for node {} listening on {}://{}:{}{}",
          settings.node.id(), settings.tls == null ? "ws" : "wss", settings.host, boundPort, WebSocketGateway.WEBSOCKET_PATH);
    }
  }

  /** The bound port; -1 before {@link #start()}. */
  int port() {
    synchronized (lifecycle) {
      return boundPort;
    }
  }

  /**
   * Stops accepting, closes every client connection with close code 1001 (going away), and shuts
   * down the event loops, waiting up to a few seconds for them. Idempotent.
   */
  void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      ScheduledFuture<?> reloading = tlsReloading;
      if (reloading != null) {
        reloading.cancel(false);
      }
      Channel server = serverChannel;
      if (server != null) {
        server.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
      }
      channels.closeAll();
      shutdownGroups();
      log.info("WebSocket gateway for node {} closed", settings.node.id());
    }
  }

  private void shutdownGroups() {
    EventLoopGroup w = workers;
    EventLoopGroup b = boss;
    if (w != null) {
      w.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
    if (b != null) {
      b.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
    if (w != null) {
      w.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
    if (b != null) {
      b.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
  }
}
