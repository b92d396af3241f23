package io.chatmesh.websocket;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.time.Duration;

/**
 * The limits a {@link WebSocketGateway} puts on its clients beyond the per-connection ones of
 * {@link WebSocketGateway.Builder}: connections per remote address and per user, the deadline for
 * {@code hello}, requests per second per user (over all of the user's connections), rooms a user
 * may create, the size of a {@code rooms} page and of the history asked for on join. Each limit
 * answers with its own error code (listed in PROTOCOL.md).
 *
 * <pre>{@code
 * WebSocketGateway.builder(node)
 *     .limits(GatewayLimits.builder().maxConnectionsPerAddress(16).helloTimeout(Duration.ofSeconds(5)).build())
 *     .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe; {@link #defaults()} are suitable for a public deployment.
 */
public final class GatewayLimits {
  private final int maxConnectionsPerAddress;
  private final int maxConnectionsPerUser;
  private final Duration helloTimeout;
  private final int maxRequestsPerSecondPerUser;
  private final int maxRoomsPerUser;
  private final int maxMessagesPerSecondPerRoom;
  private final int roomsPageSize;
  private final int maxJoinHistory;

  private GatewayLimits(Builder b) {
    this.maxConnectionsPerAddress = b.maxConnectionsPerAddress;
    this.maxConnectionsPerUser = b.maxConnectionsPerUser;
    this.helloTimeout = b.helloTimeout;
    this.maxRequestsPerSecondPerUser = b.maxRequestsPerSecondPerUser;
    this.maxRoomsPerUser = b.maxRoomsPerUser;
    this.maxMessagesPerSecondPerRoom = b.maxMessagesPerSecondPerRoom;
    this.roomsPageSize = b.roomsPageSize;
    this.maxJoinHistory = b.maxJoinHistory;
  }

  /**
   * The default limits (see each setter of {@link Builder}).
   *
   * @return the defaults
   */
  public static GatewayLimits defaults() {
    return builder().build();
  }

  /**
   * A builder starting from the defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The limit: open connections allowed from one remote IP address.
   *
   * @return open connections allowed from one remote IP address
   */
  public int maxConnectionsPerAddress() {
    return maxConnectionsPerAddress;
  }

  /**
   * The limit: connections one user may have open on this gateway at once.
   *
   * @return connections one user may have open on this gateway at once
   */
  public int maxConnectionsPerUser() {
    return maxConnectionsPerUser;
  }

  /**
   * The limit: how long a connection may stay open without a successful {@code hello}.
   *
   * @return how long a connection may stay open without a successful {@code hello}
   */
  public Duration helloTimeout() {
    return helloTimeout;
  }

  /**
   * The limit: requests per second one user may make over all of their connections.
   *
   * @return requests per second one user may make over all of their connections
   */
  public int maxRequestsPerSecondPerUser() {
    return maxRequestsPerSecondPerUser;
  }

  /**
   * The limit: rooms one user may have created through this gateway that still exist.
   *
   * @return rooms one user may have created through this gateway that still exist
   */
  public int maxRoomsPerUser() {
    return maxRoomsPerUser;
  }

  /**
   * The limit: messages per second one room may receive through this gateway.
   *
   * @return messages per second one room may receive through this gateway
   */
  public int maxMessagesPerSecondPerRoom() {
    return maxMessagesPerSecondPerRoom;
  }

  /**
   * The limit: rooms in one {@code rooms} reply when the request gives no {@code limit}.
   *
   * @return rooms in one {@code rooms} reply when the request gives no {@code limit}
   */
  public int roomsPageSize() {
    return roomsPageSize;
  }

  /**
   * The limit: the largest {@code last} a {@code join} may ask for.
   *
   * @return the largest {@code last} a {@code join} may ask for
   */
  public int maxJoinHistory() {
    return maxJoinHistory;
  }

  /** The largest {@code limit} a {@code rooms} request may give. */
  static final int MAX_ROOMS_PAGE = 1000;

  /** Configures {@link GatewayLimits}. Not thread-safe; invalid values fail with BAD_REQUEST naming the setting. */
  public static final class Builder {
    private int maxConnectionsPerAddress = 32;
    private int maxConnectionsPerUser = 8;
    private Duration helloTimeout = Duration.ofSeconds(10);
    private int maxRequestsPerSecondPerUser = 100;
    private int maxRoomsPerUser = 20;
    private int maxMessagesPerSecondPerRoom = 100;
    private int roomsPageSize = 100;
    private int maxJoinHistory = 1000;

    private Builder() {}

    /**
     * Open connections (WebSocket or plain HTTP) allowed from one remote IP address. One more is
     * closed at once: a WebSocket gets an {@code error} {@code TOO_MANY_CONNECTIONS} and close code
     * 1008, before any request is read. Default 32.
     *
     * @param connections the limit, positive
     * @return this builder
     */
    public Builder maxConnectionsPerAddress(int connections) {
      this.maxConnectionsPerAddress = positive(connections, "maxConnectionsPerAddress");
      return this;
    }

    /**
     * Connections one user may have signed in at once on this gateway. A {@code hello} beyond it
     * gets {@code TOO_MANY_CONNECTIONS} and the connection is closed (1008). Default 8.
     *
     * @param connections the limit, positive
     * @return this builder
     */
    public Builder maxConnectionsPerUser(int connections) {
      this.maxConnectionsPerUser = positive(connections, "maxConnectionsPerUser");
      return this;
    }

    /**
     * A connection that has not completed {@code hello} this long after it was accepted is closed:
     * an {@code error} {@code TIMEOUT} and close code 1008 "hello timeout" (a plain TCP connection
     * that never upgrades is just closed). Default 10 s.
     *
     * @param timeout at least 1 ms
     * @return this builder
     */
    public Builder helloTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.toMillis() < 1) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "helloTimeout must be at least 1 ms, was " + timeout);
      }
      this.helloTimeout = timeout;
      return this;
    }

    /**
     * Requests per second one user may make over all of their connections together (a token
     * bucket shared by them), in addition to the per-connection rate. Extra requests get {@code
     * RATE_LIMITED}. Default 100.
     *
     * @param requests the rate, positive
     * @return this builder
     */
    public Builder maxRequestsPerSecondPerUser(int requests) {
      this.maxRequestsPerSecondPerUser = positive(requests, "maxRequestsPerSecondPerUser");
      return this;
    }

    /**
     * Rooms one user may have created through this gateway that still exist. One more {@code
     * create} gets {@code TOO_MANY_ROOMS}. (The node's own cap over all users is {@code
     * ChatNode.Builder.maxRooms}.) Default 20.
     *
     * @param rooms the limit, positive
     * @return this builder
     */
    public Builder maxRoomsPerUser(int rooms) {
      this.maxRoomsPerUser = positive(rooms, "maxRoomsPerUser");
      return this;
    }

    /**
     * Messages per second one room may receive through this gateway, over all users (a token
     * bucket per room). This is the fairness between rooms: a room's cost is its message rate
     * times its members, so a flooded room cannot take the node from the others. Extra sends get
     * {@code RATE_LIMITED} naming the room. Default 100.
     *
     * @param messages the rate, positive
     * @return this builder
     */
    public Builder maxMessagesPerSecondPerRoom(int messages) {
      this.maxMessagesPerSecondPerRoom = positive(messages, "maxMessagesPerSecondPerRoom");
      return this;
    }

    /**
     * Rooms in one {@code rooms} reply when the request gives no {@code limit} (a request may ask
     * for 1..1000). Default 100.
     *
     * @param rooms 1 to 1000
     * @return this builder
     */
    public Builder roomsPageSize(int rooms) {
      if (rooms < 1 || rooms > MAX_ROOMS_PAGE) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "roomsPageSize must be 1.." + MAX_ROOMS_PAGE + ", was " + rooms);
      }
      this.roomsPageSize = rooms;
      return this;
    }

    /**
     * The largest {@code last} a {@code join} may ask for; more is {@code BAD_REQUEST} (older
     * messages are read page by page with {@code history}). Default 1000.
     *
     * @param entries 1 to {@link io.chatmesh.JoinOptions#MAX_ENTRIES}
     * @return this builder
     */
    public Builder maxJoinHistory(int entries) {
      if (entries < 1 || entries > io.chatmesh.JoinOptions.MAX_ENTRIES) {
        throw new ChatException(
            ErrorCode.BAD_REQUEST, "maxJoinHistory must be 1.." + io.chatmesh.JoinOptions.MAX_ENTRIES + ", was " + entries);
      }
      this.maxJoinHistory = entries;
      return this;
    }

    /**
     * Builds the immutable limits.
     *
     * @return the limits
     */
    public GatewayLimits build() {
      return new GatewayLimits(this);
    }

    private static int positive(int value, String what) {
      if (value <= 0) {
        throw new ChatException(ErrorCode.BAD_REQUEST, what + " must be positive, was " + value);
      }
      return value;
    }
  }
}
