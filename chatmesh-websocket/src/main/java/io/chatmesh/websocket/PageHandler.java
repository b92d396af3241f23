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
 * Serves the web chat page at {@code GET /} (and {@code /index.html}) and the JavaScript client
 * library it is built on at {@code /chatmesh.js} (an ES module, also usable by other pages) for HTTP
 * requests that are not WebSocket upgrades; anything else gets 404 or 405. Each response closes the
 * connection. Stateless and thread-safe.
 */
final class PageHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  static final String PAGE_RESOURCE = "/io/chatmesh/websocket/index.html";
  static final String CLIENT_RESOURCE = "/io/chatmesh/websocket/chatmesh.js";
  private static final byte[] PAGE = load(PAGE_RESOURCE);
  private static final byte[] CLIENT = load(CLIENT_RESOURCE);
  /** The page runs its own inline module and /chatmesh.js; it talks to any gateway (failover). */
  private static final String PAGE_POLICY =
      "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self' ws: wss:;"
          + " frame-ancestors 'none'";

  private static byte[] load(String resource) {
    try (InputStream in = PageHandler.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing class path resource " + resource);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
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
      response = file(PAGE, "text/html; charset=utf-8", head);
      response.headers()
          .set("Content-Security-Policy", PAGE_POLICY)
          .set("X-Frame-Options", "DENY") // no framing: no clickjacking of the chat page
          .set("Referrer-Policy", "no-referrer"); // a ?token= in the URL never leaks to other sites
    } else if (path.equals("/chatmesh.js")) {
      response = file(CLIENT, "text/javascript; charset=utf-8", head);
      response.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*"); // importable by other apps
    } else if (path.equals("/ws")) {
      response = text(HttpResponseStatus.BAD_REQUEST, "this is the WebSocket endpoint: connect with a WebSocket client\n");
    } else {
      response = text(HttpResponseStatus.NOT_FOUND, "not found: " + path + "\n");
    }
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  /** {@code s} cut to 100 characters with control characters replaced, safe to log or echo. */
  static String printable(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), 100));
    for (int i = 0; i < s.length() && i < 100; i++) {
      char c = s.charAt(i);
      b.append(Character.isISOControl(c) ? '?' : c);
    }
    return s.length() > 100 ? b + "…" : b.toString();
  }

  private static FullHttpResponse file(byte[] body, String contentType, boolean head) {
    FullHttpResponse response = new DefaultFullHttpResponse(
        HttpVersion.HTTP_1_1, HttpResponseStatus.OK, head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, contentType)
        .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
        .set("X-Content-Type-Options", "nosniff");
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    return response;
  }

  private static FullHttpResponse text(HttpResponseStatus status, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    return r;
  }
}
