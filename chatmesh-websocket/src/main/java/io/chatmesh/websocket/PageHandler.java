package io.chatmesh.websocket;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Serves the web chat page at {@code GET /} (and {@code /index.html}) for HTTP requests that are not
 * WebSocket upgrades; anything else gets 404 or 405. Each response closes the connection.
 */
final class PageHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  static final String PAGE_RESOURCE = "/io/chatmesh/websocket/index.html";
  private static final byte[] PAGE = load();

  private static byte[] load() {
    try (InputStream in = PageHandler.class.getResourceAsStream(PAGE_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing class path resource " + PAGE_RESOURCE);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + PAGE_RESOURCE, e);
    }
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    String path = new QueryStringDecoder(request.uri()).path();
    FullHttpResponse response;
    boolean get = request.method().equals(HttpMethod.GET);
    boolean head = request.method().equals(HttpMethod.HEAD);
    if (!get && !head) {
      response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET is supported\n");
      response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
    } else if (path.equals("/") || path.equals("/index.html")) {
      response = new DefaultFullHttpResponse(
          HttpVersion.HTTP_1_1, HttpResponseStatus.OK, head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(PAGE));
      response.headers()
          .set(HttpHeaderNames.CONTENT_TYPE, "text/html; charset=utf-8")
          .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
          .set("X-Content-Type-Options", "nosniff")
          .set("Content-Security-Policy",
              "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self' ws: wss:");
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, PAGE.length);
    } else if (path.equals("/ws")) {
      response = text(HttpResponseStatus.BAD_REQUEST, "this is the WebSocket endpoint: connect with a WebSocket client\n");
    } else {
      response = text(HttpResponseStatus.NOT_FOUND, "not found: " + path + "\n");
    }
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  private static FullHttpResponse text(HttpResponseStatus status, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    return r;
  }
}
