package io.chatmesh.websocket;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.nio.charset.StandardCharsets;

/**
 * An extra HTTP {@code GET} endpoint served on the gateway's port next to the chat page and the
 * WebSocket endpoint, mounted with {@link WebSocketGateway.Builder#route(String, HttpRoute)}; for
 * example a metrics scrape or health probes:
 *
 * <pre>{@code
 * WebSocketGateway.builder(node)
 *     .route("/healthz", () -> HttpRoute.Response.text(200, "ok\n"))
 *     .route("/metrics", () -> HttpRoute.Response.of(200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()))
 *     .build();
 * }</pre>
 *
 * <p>Thread-safety: {@link #handle()} is called on the gateway's Netty I/O threads, possibly
 * concurrently; it must be thread-safe, quick, and must not block (a blocking call stalls the
 * WebSocket clients served by that thread). A {@code HEAD} request gets the same status and headers
 * without the body. A route that throws is answered with 500 and logged.
 */
@FunctionalInterface
public interface HttpRoute {

  /**
   * Answers one {@code GET} (or {@code HEAD}) request for this route's path.
   *
   * @return the response
   */
  Response handle();

  /**
   * An HTTP response. The connection is closed after it is written. Immutable (the body is
   * copied).
   *
   * @param status HTTP status code, 100..599
   * @param contentType the {@code Content-Type} header
   * @param body the bytes to send
   */
  record Response(int status, String contentType, byte[] body) {

    /**
     * Checks the status and copies the body.
     *
     * @param status HTTP status code, 100..599
     * @param contentType the {@code Content-Type} header
     * @param body the bytes to send
     * @throws ChatException BAD_REQUEST for a status outside 100..599 or a blank content type
     */
    public Response {
      if (status < 100 || status > 599) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "HTTP status must be 100..599, was " + status);
      }
      if (contentType == null || contentType.isBlank() || body == null) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "contentType must not be blank and body not null");
      }
      body = body.clone();
    }

    /**
     * The body. A copy: the response stays immutable.
     *
     * @return a copy of the bytes
     */
    @Override
    public byte[] body() {
      return body.clone();
    }

    /**
     * A response with a UTF-8 text body of {@code contentType}.
     *
     * @param status HTTP status code, 100..599
     * @param contentType the {@code Content-Type} header
     * @param body the text
     * @return the response
     */
    public static Response of(int status, String contentType, String body) {
      return new Response(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A {@code text/plain; charset=utf-8} response.
     *
     * @param status HTTP status code, 100..599
     * @param body the text
     * @return the response
     */
    public static Response text(int status, String body) {
      return of(status, "text/plain; charset=utf-8", body);
    }
  }
}
