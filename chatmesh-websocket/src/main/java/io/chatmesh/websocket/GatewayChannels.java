package io.chatmesh.websocket;

import io.chatmesh.ErrorCode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's accepted connections: builds each one's Netty pipeline (TLS, HTTP, the guards, the
 * WebSocket handshake and framing, the HTTP routes and page, and a {@link Connection}), refuses a
 * connection over {@link GatewayLimits#maxConnectionsPerAddress()} with an HTTP error, arms the
 * hello deadline and the idle timer, and keeps the set of open connections so the gateway can count
 * them and close them all.
 *
 * <p>Thread-safe: {@link #initChannel} runs on the event loop of each new connection; {@link
 * #openCount} and {@link #closeAll} are called by any thread.
 */
final class GatewayChannels extends ChannelInitializer<SocketChannel> {
  private static final Logger log = LoggerFactory.getLogger(GatewayChannels.class);

  private final GatewaySettings settings;
  private final GatewayState state;
  private final ChannelGroup clients = new DefaultChannelGroup("chatmesh-ws-clients", GlobalEventExecutor.INSTANCE);
  private final ClientTracker addresses;

  GatewayChannels(GatewaySettings settings, GatewayState state) {
    this.settings = settings;
    this.state = state;
    this.addresses = new ClientTracker(settings.limits.maxConnectionsPerAddress());
  }

  /** The number of open connections (WebSocket and plain HTTP). */
  int openCount() {
    return clients.size();
  }

  /** Closes every open connection with close code 1001 (going away), waiting up to 2 s. */
  void closeAll() {
    for (Channel ch : clients) {
      Outbound.closeWith(ch, WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "server shutting down");
    }
    clients.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    clients.add(ch);
    state.counters.connectionsOpened.increment();
    java.net.InetAddress address = ClientTracker.addressOf(ch.remoteAddress());
    GatewayTls tls = settings.tls;
    if (tls != null) {
      ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
    }
    ch.pipeline()
        .addLast("http", new HttpServerCodec(HttpGuard.MAX_URI_BYTES, HttpGuard.MAX_HEADER_BYTES, 8192))
        .addLast("http-aggregator", new HttpObjectAggregator(8192));
    if (tls != null) {
      ch.pipeline().addLast("https", new GatewayTls.HttpsHandler());
    }
    if (!addresses.tryOpen(address)) {
      log.info("refusing a connection from {}: {} already open (maxConnectionsPerAddress)", address, addresses.limit());
      ch.pipeline().addLast("guard", new HttpGuard(ErrorCode.TOO_MANY_CONNECTIONS + ": more than "
          + addresses.limit() + " connections from your address (maxConnectionsPerAddress)"));
      ch.eventLoop().schedule(() -> {
        ch.close();
      }, 2, TimeUnit.SECONDS);
      return;
    }
    ch.closeFuture().addListener(f -> addresses.closed(address));
    long helloMillis = settings.limits.helloTimeout().toMillis();
    ch.eventLoop().schedule(
        () -> ch.pipeline().fireUserEventTriggered(ClientTracker.HelloDeadline.EXPIRED), helloMillis, TimeUnit.MILLISECONDS);
    long pingMillis = Math.max(1, settings.idleTimeout.toMillis() / 2);
    ch.pipeline()
        .addFirst("idle", new IdleStateHandler(pingMillis, 0, 0, TimeUnit.MILLISECONDS))
        .addLast("guard", new HttpGuard())
        .addLast("origin", new OriginGuard(settings.origins))
        .addLast(
            "ws",
            new ProtocolHandler(
                WebSocketServerProtocolConfig.newBuilder()
                    .websocketPath(WebSocketGateway.WEBSOCKET_PATH)
                    .checkStartsWith(true)
                    .maxFramePayloadLength(settings.maxFrameBytes)
                    .closeOnProtocolViolation(false)
                    .handshakeTimeoutMillis(10_000)
                    .forceCloseTimeoutMillis(2_000)
                    .dropPongFrames(true)
                    .build()))
        .addLast("ws-aggregator", new WebSocketFrameAggregator(settings.maxFrameBytes))
        .addLast("routes", new RouteHandler(settings.routes))
        .addLast("page", new PageHandler())
        .addLast("chat", new Connection(settings, state));
  }

  /**
   * Netty's handler closes the channel right after any decoding error; we leave that to {@link
   * Connection}, which first tells the client why (an {@code error} frame and a close code) and
   * reads the rest of an oversized frame so the close is orderly.
   */
  private static final class ProtocolHandler extends WebSocketServerProtocolHandler {
    ProtocolHandler(WebSocketServerProtocolConfig config) {
      super(config);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
      if (cause instanceof WebSocketHandshakeException) {
        super.exceptionCaught(ctx, cause);
      } else {
        ctx.fireExceptionCaught(cause);
      }
    }
  }
}
