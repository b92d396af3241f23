package io.chatmesh.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The per-user limits on their own (the gateway still allows one connection per user and node; a
 * multi-connection change reuses these): connections per user, one request bucket shared by all
 * of a user's connections, rooms per user with reservations for creations in flight.
 */
class UserLimiterTest {
  private final AtomicLong now = new AtomicLong();
  private final UserLimiter limiter = new UserLimiter(
      GatewayLimits.builder().maxConnectionsPerUser(2).maxRequestsPerSecondPerUser(3).maxRoomsPerUser(2).build(), now::get);

  @Test
  void connectionsPerUserAreCapped() {
    limiter.connect("alice");
    limiter.connect("alice");
    assertThatThrownBy(() -> limiter.connect("alice"))
        .isInstanceOf(ChatException.class)
        .satisfies(e -> assertThat(((ChatException) e).code()).isEqualTo(ErrorCode.TOO_MANY_CONNECTIONS))
        .hasMessageContaining("maxConnectionsPerUser");
    limiter.connect("bob");
    limiter.disconnect("alice");
    limiter.connect("alice");
  }

  @Test
  void theRequestBucketIsSharedByTheUsersConnections() {
    limiter.connect("alice");
    limiter.connect("alice"); // a second connection buys no extra rate
    assertThat(limiter.tryRequest("alice")).isTrue();
    assertThat(limiter.tryRequest("alice")).isTrue();
    assertThat(limiter.tryRequest("alice")).isTrue();
    assertThat(limiter.tryRequest("alice")).isFalse();
    now.addAndGet(1_000_000_000L);
    assertThat(limiter.tryRequest("alice")).isTrue();
  }

  @Test
  void roomsPerUserCountCreationsInFlightAndForgetDeletedRooms() {
    Set<String> existing = new HashSet<>();
    limiter.reserveRoom("alice", "a", existing::contains);
    limiter.reserveRoom("alice", "b", existing::contains); // both in flight, not yet in the directory
    assertThatThrownBy(() -> limiter.reserveRoom("alice", "c", existing::contains))
        .satisfies(e -> assertThat(((ChatException) e).code()).isEqualTo(ErrorCode.TOO_MANY_ROOMS));
    limiter.createDone("alice", "a", true);
    existing.add("a");
    limiter.createDone("alice", "b", false); // failed: the reservation is given back
    limiter.reserveRoom("alice", "c", existing::contains);
    limiter.createDone("alice", "c", true);
    existing.add("c");
    assertThatThrownBy(() -> limiter.reserveRoom("alice", "d", existing::contains))
        .satisfies(e -> assertThat(((ChatException) e).code()).isEqualTo(ErrorCode.TOO_MANY_ROOMS));
    existing.remove("a"); // deleted
    limiter.reserveRoom("alice", "d", existing::contains);
  }
}
