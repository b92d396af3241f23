package io.chatmesh.websocket;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Answers HTTP requests the gateway refuses before they reach the WebSocket handshake or the page:
 * a request line longer than {@link #MAX_URI_BYTES} gets 414, headers larger than {@link
 * #MAX_HEADER_BYTES} get 431, any other malformed request 400, and every request on a connection
 * over the per-address limit gets 429 (body {@code TOO_MANY_CONNECTIONS ...}). Each answer closes
 * the connection. Stateless apart from the refusal text; one instance per connection.
 */
final class HttpGuard extends ChannelInboundHandlerAdapter {
  /** The longest accepted request line (method, URI, version), in bytes. */
  static final int MAX_URI_BYTES = 4096;
  /** The largest accepted header block, in bytes. */
  static final int MAX_HEADER_BYTES = 8192;

  private final @org.jspecify.annotations.Nullable String refusal;

  /** A guard that lets well-formed requests through. */
  HttpGuard() {
    this.refusal = null;
  }

  /** A guard that answers every request with 429 and {@code refusal}. */
  HttpGuard(String refusal) {
    this.refusal = refusal;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof HttpObject http)) {
      ctx.fireChannelRead(msg);
      return;
    }
    DecoderResult result = http.decoderResult();
    if (refusal != null) {
      ReferenceCountUtil.release(msg);
      answer(ctx.channel(), HttpResponseStatus.TOO_MANY_REQUESTS, refusal);
    } else if (result.isFailure()) {
      ReferenceCountUtil.release(msg);
      Throwable cause = result.cause();
      if (cause instanceof TooLongHttpLineException) {
        answer(ctx.channel(), HttpResponseStatus.REQUEST_URI_TOO_LONG,
            "request line longer than " + MAX_URI_BYTES + " bytes");
      } else if (cause instanceof TooLongHttpHeaderException) {
        answer(ctx.channel(), HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
            "request headers larger than " + MAX_HEADER_BYTES + " bytes");
      } else {
        answer(ctx.channel(), HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
      }
    } else {
      ctx.fireChannelRead(msg);
    }
  }

  /**
   * Sends a plain-text response, then half-closes so the client reads it before the connection
   * goes (a full close with unread request bytes would reset it); closed for good after 1 s.
   */
  static void answer(Channel ch, HttpResponseStatus status, String why) {
    byte[] body = (status.code() + " " + status.reasonPhrase() + ": " + why + "\n").getBytes(StandardCharsets.UTF_8);
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ch.writeAndFlush(r).addListener(f -> {
      if (ch instanceof SocketChannel s && s.isActive()) {
        s.shutdownOutput();
      } else {
        ch.close();
      }
    });
    ch.eventLoop().schedule(() -> {
      ch.close();
    }, 1, TimeUnit.SECONDS);
  }
}
