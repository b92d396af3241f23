package io.chatmesh.websocket;

import io.chatmesh.ChatException;
import io.chatmesh.ChatNode;
import io.chatmesh.ErrorCode;
import io.chatmesh.time.ChatClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Collection;
import java.util.List;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A WebSocket server that connects people to a {@link ChatNode} embedded in the same application.
 * Clients speak the JSON protocol documented in {@code chatmesh-websocket/PROTOCOL.md} at {@code
 * ws://HOST:PORT/ws}; a plain HTTP {@code GET /} serves a small web chat page.
 *
 * <pre>{@code
 * try (WebSocketGateway gw = WebSocketGateway.builder(node).port(8081).build().start()) {
 *   System.out.println("open http://127.0.0.1:" + gw.port() + "/");
 *   ...
 * }
 * }</pre>
 *
 * <p>A WebSocket connection acts as one user (authenticated by its {@code hello} frame, see {@link
 * Authenticator}); a user may have several connections (tabs, devices), here and on other nodes,
 * and each receives every event of the rooms it joined. Rooms the connection joined are left when
 * it closes (the user stays a member while another of its connections is in the room). The gateway protects the node from its clients:
 * malformed or oversized frames, request floods, slow readers and dead connections are answered
 * with {@code error} frames or closed with a proper WebSocket close code; nothing a client sends
 * can crash the node or corrupt a room.
 *
 * <p>Plain {@code ws://} and {@code http://} by default; with {@link Builder#tls} the same port
 * serves only TLS ({@code https://} page, {@code wss://} endpoint, TLS 1.2 and 1.3, an HSTS header
 * on every HTTP response) from PEM files that are re-read when they change.
 *
 * <p>Thread-safe. Lifecycle: built, {@link #start() started} once, {@link #close() closed} once
 * (idempotent). Closing the gateway closes every client connection (close code 1001) and shuts
 * down its Netty threads; it does not close the {@link ChatNode}, which the application owns.
 */
public final class WebSocketGateway implements AutoCloseable {
  /** The path of the WebSocket endpoint. */
  public static final String WEBSOCKET_PATH = "/ws";

  private final GatewaySettings settings;
  /** What this gateway's connections share. */
  final GatewayState state;
  private final GatewayChannels channels;
  private final GatewayServer server;

  private WebSocketGateway(GatewaySettings settings) {
    this.settings = settings;
    this.state = new GatewayState(settings);
    this.channels = new GatewayChannels(settings, state);
    this.server = new GatewayServer(settings, channels);
  }

  /**
   * A builder for a gateway in front of {@code node}.
   *
   * @param node the node the gateway's clients use
   * @return a new builder
   */
  public static Builder builder(ChatNode node) {
    return new Builder(node);
  }

  /**
   * Binds the port and starts accepting connections. Returns this gateway.
   *
   * @throws ChatException UNAVAILABLE if the address cannot be bound; BAD_REQUEST if already
   *     started or closed
   * @return this gateway
   */
  public WebSocketGateway start() {
    server.start();
    return this;
  }

  /**
   * The bound port (useful when the configured port was 0); -1 before {@link #start()}.
   *
   * @return the port, or -1
   */
  public int port() {
    return server.port();
  }

  /**
   * Whether the gateway serves TLS ({@code https://} and {@code wss://}, see {@link Builder#tls}).
   *
   * @return true with TLS, false for plain {@code http://} and {@code ws://}
   */
  public boolean secure() {
    return settings.tls != null;
  }

  /**
   * Re-reads the TLS files now if they changed, as the periodic refresh does; for tests.
   *
   * @return whether new connections now get a new certificate
   */
  boolean reloadTls() {
    GatewayTls tls = settings.tls;
    return tls != null && tls.reload();
  }

  /**
   * The host or address the gateway binds to.
   *
   * @return the host
   */
  public String host() {
    return settings.host;
  }

  /**
   * The number of currently open WebSocket and HTTP connections.
   *
   * @return the count
   */
  public int connectionCount() {
    return channels.openCount();
  }

  /**
   * This gateway's counters now: connections, frames in and out by type, errors by code, slow readers.
   *
   * @return a snapshot
   */
  public GatewayStats stats() {
    return state.counters.snapshot(channels.openCount());
  }

  /**
   * Stops accepting, closes every client connection with close code 1001 (going away), and shuts
   * down the Netty event loops, waiting up to a few seconds for them. Idempotent.
   */
  @Override
  public void close() {
    server.close();
  }

  /** The most bytes one connection held at any time (queued frames and waiting events); for tests. */
  long peakHeldBytes() {
    return state.peakHeldBytes();
  }

  /**
   * Configures a {@link WebSocketGateway}. Not thread-safe. Invalid values fail with {@link
   * ChatException} {@link ErrorCode#BAD_REQUEST} naming the setting.
   */
  public static final class Builder {
    // package-private: GatewaySettings copies them when the gateway is built
    final ChatNode node;
    String host = "127.0.0.1";
    int port = 8080;
    int maxFrameBytes = 64 * 1024;
    int maxRequestsPerSecond = 50;
    long maxOutboundBytes = 4L * 1024 * 1024;
    int maxOutboundFrames = 10_000;
    Duration idleTimeout = Duration.ofSeconds(60);
    int workerThreads = 2;
    Authenticator authenticator = Authenticator.ALLOW_ALL;
    LongSupplier nanoTime = System::nanoTime;
    GatewayLimits limits = GatewayLimits.defaults();
    final Map<String, HttpRoute> routes = new LinkedHashMap<>();
    ChatClock clock = ChatClock.system();
    List<String> allowedOrigins = List.of();
    boolean allowMissingOrigin = true;
    @Nullable Path tlsCertificateChain;
    @Nullable Path tlsPrivateKey;
    Duration tlsRefreshPeriod = Duration.ofMinutes(1);

    private Builder(ChatNode node) {
      if (node == null) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "node must not be null");
      }
      this.node = node;
    }

    /**
     * Address to bind: {@code 127.0.0.1} (default, local only) or {@code 0.0.0.0} (all interfaces).
     *
     * @param host the address to bind
     * @return this builder
     */
    public Builder host(String host) {
      if (host == null || host.isBlank()) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "host must not be null or blank");
      }
      this.host = host.trim();
      return this;
    }

    /**
     * TCP port; 0 picks a free port (read it with {@link WebSocketGateway#port()}). Default 8080.
     *
     * @param port 0 to 65535
     * @return this builder
     */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "port must be 0..65535, was " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Largest accepted WebSocket message (after reassembling fragments), in bytes. A larger one is
     * answered with an {@code error} frame {@code TOO_LARGE} and the connection is closed with
     * code 1009. Default 65536 (64 KiB); at least 256.
     *
     * @param bytes the limit, at least 256
     * @return this builder
     */
    public Builder maxFrameBytes(int bytes) {
      if (bytes < 256) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "maxFrameBytes must be at least 256, was " + bytes);
      }
      this.maxFrameBytes = bytes;
      return this;
    }

    /**
     * Requests one connection may make per second (token bucket with that rate and burst). Extra
     * requests get an {@code error} frame {@code RATE_LIMITED}; the connection stays open. Default
     * 50.
     *
     * @param requests the rate, positive
     * @return this builder
     */
    public Builder maxRequestsPerSecond(int requests) {
      if (requests <= 0) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "maxRequestsPerSecond must be positive, was " + requests);
      }
      this.maxRequestsPerSecond = requests;
      return this;
    }

    /**
     * Bytes of frames queued for one client but not yet written to its socket. A client that reads
     * too slowly to keep below this is disconnected (close code 1008, logged), so a slow reader
     * can never make the node's memory grow without limit. Default 4 MiB.
     *
     * @param bytes the bound, at least 1024
     * @return this builder
     */
    public Builder maxOutboundBytes(long bytes) {
      if (bytes < 1024) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "maxOutboundBytes must be at least 1024, was " + bytes);
      }
      this.maxOutboundBytes = bytes;
      return this;
    }

    /**
     * Like {@link #maxOutboundBytes} but counting frames. Default 10,000.
     *
     * @param frames the bound, positive
     * @return this builder
     */
    public Builder maxOutboundFrames(int frames) {
      if (frames <= 0) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "maxOutboundFrames must be positive, was " + frames);
      }
      this.maxOutboundFrames = frames;
      return this;
    }

    /**
     * A connection that sends nothing (not even a pong) for this long is closed. The gateway pings
     * a quiet connection after half of it. Default 60 s.
     *
     * @param timeout the timeout, at least 2 ms
     * @return this builder
     */
    public Builder idleTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.toMillis() < 2) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "idleTimeout must be at least 2 ms, was " + timeout);
      }
      this.idleTimeout = timeout;
      return this;
    }

    /**
     * Netty I/O threads serving client connections. Default 2.
     *
     * @param threads the number of threads, positive
     * @return this builder
     */
    public Builder workerThreads(int threads) {
      if (threads <= 0) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "workerThreads must be positive, was " + threads);
      }
      this.workerThreads = threads;
      return this;
    }

    /**
     * Decides who each {@code hello} is (its {@code user} and {@code token}). Default {@link
     * Authenticator#ALLOW_ALL}: anyone may connect as any name, logged at start as {@code INSECURE:
     * open authentication}. For real deployments use {@link JwtAuthenticator}.
     *
     * @param authenticator the authenticator
     * @return this builder
     */
    public Builder authenticator(Authenticator authenticator) {
      if (authenticator == null) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "authenticator must not be null");
      }
      this.authenticator = authenticator;
      return this;
    }

    /**
     * The limits on clients beyond the per-connection ones: connections per address and per user,
     * the hello deadline, requests per second per user, rooms per user, page sizes. Default {@link
     * GatewayLimits#defaults()}.
     *
     * @param limits the limits
     * @return this builder
     */
    public Builder limits(GatewayLimits limits) {
      if (limits == null) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "limits must not be null");
      }
      this.limits = limits;
      return this;
    }

    /**
     * The clock that ends a connection when its {@link Authentication#expiresAt()} passes. Default
     * {@link ChatClock#system()}; tests pass a {@link io.chatmesh.time.ManualClock}.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(ChatClock clock) {
      if (clock == null) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "clock must not be null");
      }
      this.clock = clock;
      return this;
    }

    /**
     * Serves {@code route} for HTTP {@code GET} and {@code HEAD} requests to exactly {@code path}
     * (query strings ignored) on the gateway's port, for example {@code /metrics} or {@code
     * /readyz}; see {@link HttpRoute} for the threading rules. Paths the gateway serves itself
     * ({@code /}, {@code /index.html}, {@code /ws...}) cannot be mounted. Default: none.
     *
     * @param path the exact path, starting with {@code /}
     * @param route what answers it
     * @return this builder
     * @throws ChatException BAD_REQUEST for a malformed or reserved path, a path mounted twice, or
     *     a null route
     */
    public Builder route(String path, HttpRoute route) {
      String p = RouteHandler.checkPath(path);
      if (route == null) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "route for " + p + " must not be null");
      }
      if (routes.putIfAbsent(p, route) != null) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "route path " + p + " is already mounted");
      }
      return this;
    }

    /**
     * Origins (besides the gateway's own) whose pages may open a WebSocket to this gateway, e.g.
     * {@code https://chat.example.com} or {@code http://127.0.0.1:8082} (scheme, host and port as
     * the browser sends them in {@code Origin}); {@code *} allows every origin. A handshake from
     * any other origin is refused with HTTP 403, so a foreign web page cannot use a visitor's
     * browser to talk to the gateway. The gateway's own origin (the {@code Origin} whose host:port
     * equals the request's {@code Host}: the page it serves) is always allowed. Default: none
     * besides the own origin.
     *
     * @param origins the extra allowed origins
     * @return this builder
     */
    public Builder allowedOrigins(Collection<String> origins) {
      if (origins == null) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "allowedOrigins must not be null");
      }
      this.allowedOrigins = OriginPolicy.normalize(origins);
      return this;
    }

    /**
     * Whether a handshake without an {@code Origin} header is accepted. Browsers always send one
     * on a WebSocket handshake, so a request without it comes from a non-browser program (the
     * terminal client, a bot) that could forge any header anyway; the origin check only protects
     * browsers. Default true.
     *
     * @param allow false to refuse handshakes without {@code Origin} (403)
     * @return this builder
     */
    public Builder allowMissingOrigin(boolean allow) {
      this.allowMissingOrigin = allow;
      return this;
    }

    /**
     * Serves TLS only on the gateway's port ({@code https://} page, {@code wss://} endpoint; a
     * plaintext client fails its handshake) from two PEM files. {@code certificateChainPem} holds
     * the server certificate first, then any intermediates (its subject alternative names must
     * cover the host clients connect to). {@code privateKeyPem} holds its private key as an
     * <b>unencrypted PKCS#8</b> {@code -----BEGIN PRIVATE KEY-----} block (EC or RSA; the tests use EC P-256);
     * PKCS#1 ({@code BEGIN RSA PRIVATE KEY}), SEC1 ({@code BEGIN EC PRIVATE KEY}) and encrypted
     * keys are refused: convert them with {@code openssl pkcs8 -topk8 -nocrypt}. Protocols: TLS 1.3
     * and 1.2 only, the JDK's default cipher suites; no client certificates. Every HTTP response
     * carries {@code Strict-Transport-Security: max-age=31536000}. The files are re-read every
     * {@link #tlsRefreshPeriod} when their size or modification time changed: new connections then
     * get the new certificate (open ones keep theirs); a file that fails to load then is logged and
     * the previous certificate stays in use. Default: no TLS (plain {@code ws://}; terminate TLS in
     * front of the gateway instead).
     *
     * @param certificateChainPem the certificate chain file
     * @param privateKeyPem the private key file
     * @return this builder
     * @throws ChatException BAD_REQUEST for a null path (the files are read by {@link #build()})
     */
    public Builder tls(Path certificateChainPem, Path privateKeyPem) {
      if (certificateChainPem == null || privateKeyPem == null) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "tls needs a certificate chain file and a private key file");
      }
      this.tlsCertificateChain = certificateChainPem;
      this.tlsPrivateKey = privateKeyPem;
      return this;
    }

    /**
     * How often the {@link #tls} files are checked for changes. Default 1 minute.
     *
     * @param period the period, at least 1 ms
     * @return this builder
     */
    public Builder tlsRefreshPeriod(Duration period) {
      if (period == null || period.toMillis() < 1) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "tlsRefreshPeriod must be at least 1 ms, was " + period);
      }
      this.tlsRefreshPeriod = period;
      return this;
    }

    /** Time source for rate limiting, in nanoseconds; for tests. Default {@link System#nanoTime()}. */
    Builder nanoTime(LongSupplier nanoTime) {
      this.nanoTime = nanoTime;
      return this;
    }

    /**
     * Builds the (unstarted) gateway; reads the {@link #tls} files, if any.
     *
     * @return a gateway that is not started yet
     * @throws ChatException BAD_REQUEST naming a TLS file that is missing, unreadable or malformed,
     *     or both files when the private key does not belong to the certificate
     */
    public WebSocketGateway build() {
      return new WebSocketGateway(new GatewaySettings(this));
    }
  }
}
