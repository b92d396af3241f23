package io.chatmesh.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Many lightweight WebSocket clients on one Netty event loop group, speaking the chatmesh JSON
 * protocol (see chatmesh-websocket/PROTOCOL.md) just enough for the benchmarks: hello, join, send,
 * and message events. Thread-safe: {@link Client#send} may be called from any thread.
 */
final class WsClients implements AutoCloseable {
  private final EventLoopGroup group;
  private final Bootstrap bootstrap;

  WsClients(int threads) {
    group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("bench-ws-client", true), NioIoHandler.newFactory());
    bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class).option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
  }

  /**
   * Connects a client from {@code localHost} (a 127.0.0.x address, port chosen by the OS) to the
   * gateway on 127.0.0.1:{@code port}; {@code onMessage} receives the raw text of every "message" event.
   */
  Client connect(String localHost, int port, Consumer<String> onMessage) {
    Client c = new Client(onMessage);
    URI uri = URI.create("ws://127.0.0.1:" + port + "/ws");
    Bootstrap b = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
      @Override
      protected void initChannel(SocketChannel ch) {
        ch.pipeline().addLast(
            new HttpClientCodec(),
            new HttpObjectAggregator(65536),
            new WebSocketClientProtocolHandler(WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .maxFramePayloadLength(1 << 20)
                .handshakeTimeoutMillis(30_000)
                .build()),
            c);
      }
    });
    b.connect(new InetSocketAddress("127.0.0.1", port), new InetSocketAddress(localHost, 0)).addListener(f -> {
      if (!f.isSuccess()) {
        c.handshake.completeExceptionally(f.cause());
      }
    });
    return c;
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10_000);
  }

  /** One connection. */
  static final class Client extends SimpleChannelInboundHandler<TextWebSocketFrame> {
    final CompletableFuture<Void> handshake = new CompletableFuture<>();
    private final Consumer<String> onMessage;
    private volatile Channel channel;
    private volatile CompletableFuture<String> pending;
    private volatile String pendingType;

    Client(Consumer<String> onMessage) {
      this.onMessage = onMessage;
    }

    /** Sends one request and completes with the first frame of {@code replyType} (or an error frame). */
    CompletableFuture<String> request(String json, String replyType) {
      CompletableFuture<String> f = new CompletableFuture<>();
      pendingType = "\"type\":\"" + replyType + "\"";
      pending = f;
      send(json);
      return f.orTimeout(30, TimeUnit.SECONDS);
    }

    void send(String json) {
      channel.writeAndFlush(new TextWebSocketFrame(json));
    }

    void close() {
      Channel ch = channel;
      if (ch != null) {
        ch.close();
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
        channel = ctx.channel();
        handshake.complete(null);
      } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
        handshake.completeExceptionally(new IllegalStateException("WebSocket handshake timed out"));
      }
      super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
      String text = frame.text();
      if (text.startsWith("{\"type\":\"message\"") || (text.contains("\"type\":\"message\"") && !text.contains("\"type\":\"error\""))) {
        onMessage.accept(text);
        return;
      }
      CompletableFuture<String> p = pending;
      if (p != null && (text.contains(pendingType) || text.contains("\"type\":\"error\""))) {
        pending = null;
        if (text.contains("\"type\":\"error\"")) {
          p.completeExceptionally(new IllegalStateException("gateway answered " + text));
        } else {
          p.complete(text);
        }
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      handshake.completeExceptionally(new IllegalStateException("connection closed"));
      CompletableFuture<String> p = pending;
      if (p != null) {
        p.completeExceptionally(new IllegalStateException("connection closed"));
      }
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      handshake.completeExceptionally(cause);
      ctx.close();
    }
  }

  /** Extracts the value of the JSON string field {@code "text"} (our texts need no unescaping). */
  static String textField(String json) {
    int i = json.indexOf("\"text\":\"");
    if (i < 0) {
      throw new IllegalArgumentException("no text field in " + json);
    }
    int start = i + 8;
    return json.substring(start, json.indexOf('"', start));
  }
}
