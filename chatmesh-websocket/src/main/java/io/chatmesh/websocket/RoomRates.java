package io.chatmesh.websocket;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Fair sharing of a node between rooms: at most {@link GatewayLimits#maxMessagesPerSecondPerRoom()}
 * messages a second enter one room through this gateway (a token bucket per room shared by every
 * connection). The cost of a room is its message rate times its members (every message is written
 * to every member), so without this one flooded room would take the event loops and the room lanes
 * from every other room on the node; with it a flood costs at most the room's own share. Extra
 * sends get {@code RATE_LIMITED} naming the room. Thread-safe.
 */
final class RoomRates {
  /** Past this many tracked rooms (names of deleted rooms pile up) the buckets start afresh. */
  private static final int MAX_TRACKED = 100_000;
  private final int perSecond;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<String, TokenBucket> buckets = new ConcurrentHashMap<>();

  RoomRates(int perSecond, LongSupplier nanoTime) {
    this.perSecond = perSecond;
    this.nanoTime = nanoTime;
  }

  /**
   * Takes a token for one message into {@code room}.
   *
   * @throws ChatException RATE_LIMITED if the room is over its rate
   */
  void acquire(String room) {
    if (buckets.size() > MAX_TRACKED) {
      buckets.clear();
    }
    TokenBucket b = buckets.computeIfAbsent(room, r -> new TokenBucket(perSecond, nanoTime));
    boolean ok;
    synchronized (b) {
      ok = b.tryAcquire();
    }
    if (!ok) {
      throw new ChatException(ErrorCode.RATE_LIMITED, "room '" + room + "' receives more than " + perSecond
          + " messages per second through this node (maxMessagesPerSecondPerRoom); slow down");
    }
  }
}
