package io.chatmesh.websocket;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Counts a gateway's open connections per remote IP address against {@link
 * GatewayLimits#maxConnectionsPerAddress()}: a stranger who opens thousands of connections (and
 * never says hello) cannot use up the node's file descriptors. Thread-safe.
 */
final class ClientTracker {
  /** The user event fired on a connection when its hello deadline passes. */
  enum HelloDeadline {
    EXPIRED
  }

  private final int maxPerAddress;
  private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

  ClientTracker(int maxPerAddress) {
    this.maxPerAddress = maxPerAddress;
  }

  /** The IP address of a remote socket address, or null if it has none (e.g. an embedded channel). */
  static @Nullable InetAddress addressOf(@Nullable SocketAddress remote) {
    return remote instanceof InetSocketAddress a ? a.getAddress() : null;
  }

  /** Counts one more connection from {@code address}; false (and nothing counted) at the limit. */
  boolean tryOpen(@Nullable InetAddress address) {
    if (address == null) {
      return true;
    }
    boolean[] ok = {false};
    open.compute(address, (a, n) -> {
      int count = n == null ? 0 : n;
      if (count >= maxPerAddress) {
        return n;
      }
      ok[0] = true;
      return count + 1;
    });
    return ok[0];
  }

  /** Counts a connection from {@code address} (one {@link #tryOpen} returned true for) as closed. */
  void closed(@Nullable InetAddress address) {
    if (address != null) {
      open.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }
  }

  int openFrom(InetAddress address) {
    return open.getOrDefault(address, 0);
  }

  int limit() {
    return maxPerAddress;
  }
}
