package io.chatmesh.websocket;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The per-user limits of one gateway ({@link GatewayLimits}): connections signed in as the same
 * user, requests per second over all of them (one {@link TokenBucket} shared by the user's
 * connections, so opening more connections does not buy a higher rate), and rooms created that
 * still exist. Thread-safe: every method synchronizes on this object (each call is short).
 */
final class UserLimiter {
  private final GatewayLimits limits;
  private final LongSupplier nanoTime;
  private final Map<String, User> users = new HashMap<>();
  private final Map<String, Set<String>> created = new HashMap<>();
  /** {@code user/room} of creations in flight: not yet in the directory, but counted. */
  private final Set<String> pending = new java.util.HashSet<>();

  private static final class User {
    int connections;
    final TokenBucket bucket;

    User(TokenBucket bucket) {
      this.bucket = bucket;
    }
  }

  UserLimiter(GatewayLimits limits, LongSupplier nanoTime) {
    this.limits = limits;
    this.nanoTime = nanoTime;
  }

  /**
   * Counts one more connection of {@code user}.
   *
   * @throws ChatException TOO_MANY_CONNECTIONS at {@link GatewayLimits#maxConnectionsPerUser()}
   */
  synchronized void connect(String user) {
    User u = users.computeIfAbsent(user, k -> new User(new TokenBucket(limits.maxRequestsPerSecondPerUser(), nanoTime)));
    if (u.connections >= limits.maxConnectionsPerUser()) {
      throw new ChatException(ErrorCode.TOO_MANY_CONNECTIONS,
          "user '" + user + "' already has " + u.connections + " connections to this node (maxConnectionsPerUser "
              + limits.maxConnectionsPerUser() + ")");
    }
    u.connections++;
  }

  synchronized void disconnect(String user) {
    User u = users.get(user);
    if (u != null && --u.connections <= 0) {
      users.remove(user);
    }
  }

  /** Takes a token from the user's shared bucket; false if the user is over the rate. */
  synchronized boolean tryRequest(String user) {
    User u = users.get(user);
    return u == null || u.bucket.tryAcquire();
  }

  String rateLimitedMessage() {
    return "more than " + limits.maxRequestsPerSecondPerUser() + " requests per second for this user over all connections"
        + " (maxRequestsPerSecondPerUser); slow down";
  }

  /**
   * Reserves one of {@code user}'s rooms for {@code room} before it is created (so concurrent
   * creates cannot pass the limit together); rooms that no longer exist are forgotten first. Call
   * {@link #createDone} if the creation fails.
   *
   * @throws ChatException TOO_MANY_ROOMS at {@link GatewayLimits#maxRoomsPerUser()}
   */
  synchronized void reserveRoom(String user, String room, Predicate<String> exists) {
    Set<String> mine = created.computeIfAbsent(user, k -> new LinkedHashSet<>());
    mine.removeIf(r -> !exists.test(r) && !pending.contains(user + "/" + r));
    if (mine.size() >= limits.maxRoomsPerUser()) {
      throw new ChatException(ErrorCode.TOO_MANY_ROOMS,
          "user '" + user + "' created " + mine.size() + " rooms that still exist (maxRoomsPerUser "
              + limits.maxRoomsPerUser() + "); delete one first");
    }
    mine.add(room);
    pending.add(user + "/" + room);
  }

  /** The creation of a reserved room finished; on failure the reservation is given back. */
  synchronized void createDone(String user, String room, boolean ok) {
    pending.remove(user + "/" + room);
    Set<String> mine = created.get(user);
    if (!ok && mine != null) {
      mine.remove(room);
    }
    if (mine != null && mine.isEmpty()) {
      created.remove(user);
    }
  }
}
