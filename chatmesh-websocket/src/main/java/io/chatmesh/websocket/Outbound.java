package io.chatmesh.websocket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatmesh.RoomEvent;
import io.chatmesh.UserId;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What goes out to one client, within {@code maxOutboundBytes} and {@code maxOutboundFrames}: the
 * frames the connection writes, the room events handed to its event loop before they become frames
 * (a history catch-up arrives faster than a client reads), and the close. Both bounds count what is
 * accepted and not yet written to the socket; a client that reads too slowly to stay below them is
 * disconnected (close code 1008, logged) instead of growing memory. Once closing, nothing more is
 * written.
 *
 * <p>Thread-safety: {@link #offer} and {@link #onLoop} may be called by any thread (chatmesh
 * threads delivering room events and completing futures); every other method runs on the
 * connection's event loop, which confines the rest of the state.
 */
final class Outbound {
  /** Logs as the connection it belongs to. */
  private static final Logger log = LoggerFactory.getLogger(Connection.class);

  private final GatewaySettings settings;
  private final GatewayState state;
  /** The signed-in user, for the log; null before hello. */
  private final Supplier<@Nullable UserId> user;
  /** Frames accepted for this client and not yet written to its socket (any thread increments). */
  private final AtomicInteger queuedFrames = new AtomicInteger();
  /**
   * Estimated bytes of room events handed to the event loop and not yet written as frames (a
   * history catch-up arrives faster than a client reads); bounded by {@code maxOutboundBytes}.
   */
  private final AtomicLong pendingBytes = new AtomicLong();
  /** Set once the frame bound was passed; later events are dropped at once. */
  private volatile boolean overflowed;
  // --- event-loop confined ---
  private @Nullable ChannelHandlerContext ctx;
  private boolean closing;
  private long queuedBytes;

  Outbound(GatewaySettings settings, GatewayState state, Supplier<@Nullable UserId> user) {
    this.settings = settings;
    this.state = state;
    this.user = user;
  }

  /** Sets the connection's context; called when its handler is added, before anything is sent. */
  void attach(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  /** Whether the connection is closing (or closed): nothing more is written or read. */
  boolean closing() {
    return closing;
  }

  /** Notes that the connection closed. */
  void closed() {
    closing = true;
  }

  /**
   * Hands a room event to the event loop, where {@code action} runs (and turns it into a frame),
   * counting it against the outbound bounds until then. Past a bound the event is dropped and the
   * client disconnected as too slow. Called on a chatmesh thread.
   */
  void offer(RoomEvent event, Runnable action) {
    if (overflowed) {
      return; // being disconnected as too slow: drop instead of queueing
    }
    int queued = queuedFrames.incrementAndGet();
    long size = Frames.estimatedBytes(event);
    long pending = pendingBytes.addAndGet(size);
    if (queued > settings.maxOutboundFrames || pending > settings.maxOutboundBytes) {
      queuedFrames.decrementAndGet();
      pendingBytes.addAndGet(-size);
      overflowed = true;
      onLoop(() -> slowClient("more than " + settings.maxOutboundFrames + " frames or "
          + settings.maxOutboundBytes + " bytes of events waiting"));
      return;
    }
    state.recordHeldBytes(pending);
    if (!onLoop(() -> {
      queuedFrames.decrementAndGet();
      pendingBytes.addAndGet(-size);
      action.run();
    })) {
      queuedFrames.decrementAndGet();
      pendingBytes.addAndGet(-size);
    }
  }

  /** Runs on the channel's event loop; false if the loop no longer accepts tasks. */
  boolean onLoop(Runnable r) {
    Channel ch = channel();
    if (ch.eventLoop().inEventLoop()) {
      r.run();
      return true;
    }
    try {
      ch.eventLoop().execute(r);
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  void sendError(String code, String message, @Nullable JsonNode id) {
    state.counters.error(code);
    send(Frames.error(code, message, id));
  }

  /** Writes a frame, enforcing the outbound bounds. Event loop only. */
  void send(ObjectNode frame) {
    if (closing) {
      return;
    }
    ChannelHandlerContext c = context();
    TextWebSocketFrame out = new TextWebSocketFrame(Frames.write(frame));
    int size = out.content().readableBytes();
    int frames = queuedFrames.incrementAndGet();
    if (queuedBytes + size > settings.maxOutboundBytes || frames > settings.maxOutboundFrames) {
      queuedFrames.decrementAndGet();
      out.release();
      slowClient(queuedBytes + " bytes in " + (frames - 1) + " frames queued");
      return;
    }
    queuedBytes += size;
    state.recordHeldBytes(queuedBytes + pendingBytes.get());
    state.counters.frameOut(frame.path("type").asText());
    c.writeAndFlush(out).addListener(f -> {
      queuedBytes -= size;
      queuedFrames.decrementAndGet();
    });
  }

  private void slowClient(String why) {
    overflowed = true;
    if (closing) {
      return;
    }
    state.counters.slowReaders.increment();
    log.warn("disconnecting slow WebSocket client {} (user {}) on node {}: {} (limits {} bytes, {} frames)",
        channel().remoteAddress(), user.get(), settings.node.id(), why, settings.maxOutboundBytes, settings.maxOutboundFrames);
    // The client is not reading, so a close frame queued behind the backlog would never arrive:
    // try to send it, then drop the connection and its backlog right away.
    closing = true;
    Channel ch = channel();
    ch.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.POLICY_VIOLATION.code(), "too slow"));
    ch.close();
  }

  /** Sends a close frame and closes the TCP connection once it is written, or after 1 s at most. */
  void closeWith(WebSocketCloseStatus status, String reason) {
    if (closing) {
      return;
    }
    closing = true;
    closeWith(channel(), status, reason);
  }

  /** Like {@link #closeWith(WebSocketCloseStatus, String)} for any channel; also used to close every client. */
  static void closeWith(Channel ch, WebSocketCloseStatus status, String reason) {
    if (!ch.isActive()) {
      ch.close();
      return;
    }
    ch.writeAndFlush(new CloseWebSocketFrame(status.code(), reason)).addListener(ChannelFutureListener.CLOSE);
    ch.eventLoop().schedule(() -> {
      ch.close();
    }, 1, TimeUnit.SECONDS);
  }

  ChannelHandlerContext context() {
    ChannelHandlerContext c = ctx;
    if (c == null) {
      throw new IllegalStateException("handler not added");
    }
    return c;
  }

  Channel channel() {
    return context().channel();
  }
}
