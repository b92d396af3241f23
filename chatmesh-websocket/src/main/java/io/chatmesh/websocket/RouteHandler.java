package io.chatmesh.websocket;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code GET}/{@code HEAD} requests for the paths mounted with {@link
 * WebSocketGateway.Builder#route}; every other request goes on to the page handler unchanged.
 */
final class RouteHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(RouteHandler.class);
  private final Map<String, HttpRoute> routes;

  RouteHandler(Map<String, HttpRoute> routes) {
    this.routes = routes;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    HttpRoute route = routes.get(new QueryStringDecoder(request.uri()).path());
    boolean head = request.method().equals(HttpMethod.HEAD);
    if (route == null || !(head || request.method().equals(HttpMethod.GET))) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      HttpRoute.Response r;
      try {
        r = route.handle();
      } catch (RuntimeException e) {
        log.warn("HTTP route {} failed", request.uri(), e);
        r = HttpRoute.Response.text(500, "internal error: " + e + "\n");
      }
      byte[] body = r.body();
      FullHttpResponse response =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()), head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
      response.headers()
          .set(HttpHeaderNames.CONTENT_TYPE, r.contentType())
          .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
          .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    } finally {
      ReferenceCountUtil.release(request);
    }
  }

  /**
   * Checks a path for {@link WebSocketGateway.Builder#route}; returns it.
   *
   * @throws ChatException BAD_REQUEST for a malformed path or one the gateway serves itself
   */
  static String checkPath(@Nullable String path) {
    if (path == null || !path.startsWith("/") || path.length() > 200 || !StandardCharsets.US_ASCII.newEncoder().canEncode(path)
        || path.contains("?") || path.contains("#") || path.contains(" ")) {
      throw new ChatException(
          ErrorCode.BAD_REQUEST, "a route path must start with '/' and be at most 200 ASCII characters without '?', '#' or spaces: " + path);
    }
    if (path.equals("/") || path.equals("/index.html") || path.startsWith(WebSocketGateway.WEBSOCKET_PATH)) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "route path " + path + " is served by the gateway itself");
    }
    return path;
  }
}
