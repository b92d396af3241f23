package io.chatmesh.websocket;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses a WebSocket handshake whose {@code Origin} the {@link OriginPolicy} does not allow, with
 * HTTP 403, before Netty's handshaker sees it; everything else passes through. Stateless: one
 * instance per channel.
 */
final class OriginGuard extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(OriginGuard.class);
  private final OriginPolicy policy;

  OriginGuard(OriginPolicy policy) {
    this.policy = policy;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof FullHttpRequest request
        && new QueryStringDecoder(request.uri()).path().startsWith(WebSocketGateway.WEBSOCKET_PATH)) {
      String origin = request.headers().get(HttpHeaderNames.ORIGIN);
      String host = request.headers().get(HttpHeaderNames.HOST);
      if (!policy.allows(origin, host)) {
        request.release();
        log.info("refused WebSocket handshake from {}: origin {} is not allowed",
            ctx.channel().remoteAddress(), origin == null ? "(none)" : PageHandler.printable(origin));
        byte[] body = ("origin not allowed: " + (origin == null ? "(none)" : PageHandler.printable(origin)) + "\n")
            .getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.FORBIDDEN, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
            .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
            .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        return;
      }
    }
    ctx.fireChannelRead(msg);
  }
}
