package io.chatmesh.websocket;

import io.chatmesh.ErrorCode;
import java.util.Map;

/**
 * Counters of a {@link WebSocketGateway}, as a snapshot ({@link WebSocketGateway#stats()}).
 * Counters only grow from the gateway's start. Every map has a fixed set of keys (known frame types
 * and error codes), so it can be exported without unbounded label values. Immutable; thread-safe.
 *
 * @param connections gauge: open connections (WebSocket and plain HTTP)
 * @param connectionsOpened connections accepted since start
 * @param framesIn requests received by type: the request types of {@code PROTOCOL.md}, plus {@code
 *     invalid} for a frame that is not a JSON object with a valid id and a known {@code type}. A
 *     well-formed request refused by the rate limit is counted in {@code errors} only
 * @param framesOut frames written by type ({@code welcome}, {@code ack}, {@code message}, {@code
 *     error}, ...)
 * @param errors {@code error} frames sent by code (every {@link ErrorCode} name is a key)
 * @param slowReaderDisconnects clients disconnected because they read too slowly (outbound bounds)
 */
public record GatewayStats(
    int connections,
    long connectionsOpened,
    Map<String, Long> framesIn,
    Map<String, Long> framesOut,
    Map<String, Long> errors,
    long slowReaderDisconnects) {

  /**
   * Copies the maps.
   *
   * @param connections gauge: open connections (WebSocket and plain HTTP)
   * @param connectionsOpened connections accepted since start
   * @param framesIn requests received by type: the request types of {@code PROTOCOL.md}, plus {@code
   *     invalid} for a frame that is not a JSON object with a valid id and a known {@code type}. A
   *     well-formed request refused by the rate limit is counted in {@code errors} only
   * @param framesOut frames written by type ({@code welcome}, {@code ack}, {@code message}, {@code
   *     error}, ...)
   * @param errors {@code error} frames sent by code (every {@link ErrorCode} name is a key)
   * @param slowReaderDisconnects clients disconnected because they read too slowly (outbound bounds)
   */
  public GatewayStats {
    framesIn = Map.copyOf(framesIn);
    framesOut = Map.copyOf(framesOut);
    errors = Map.copyOf(errors);
  }

  /**
   * Requests refused because the connection exceeded its rate ({@code RATE_LIMITED} errors).
   *
   * @return how many
   */
  public long rateLimited() {
    return errors.getOrDefault(ErrorCode.RATE_LIMITED.name(), 0L);
  }
}
