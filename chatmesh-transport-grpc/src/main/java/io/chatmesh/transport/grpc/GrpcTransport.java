package io.chatmesh.transport.grpc;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.wire.WireMessage;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chatmesh {@link Transport} over gRPC ({@code grpc-netty-shaded}): HTTP/2 with mutual TLS
 * ({@link Builder#tls}), or plaintext when chosen explicitly ({@link Builder#plaintext()}).
 *
 * <pre>{@code
 * Transport t = GrpcTransport.builder("127.0.0.1:9091")
 *     .tls(GrpcTls.fromDirectory(Path.of("/etc/chatmesh/tls")))
 *     .maxMessageSize(8 << 20)
 *     .build();
 * ChatNode node = ChatNode.builder().nodeId("n1").transport(t).build().start();
 * }</pre>
 *
 * <p>With TLS, an inbound link is accepted only from a peer whose certificate the cluster CA
 * signed and names one node id ({@link GrpcTls}); each envelope on it must carry that id as its
 * sender, others are dropped and logged.
 *
 * <p>How it works: for every destination address it keeps one long-lived {@code NodeLink/Link}
 * stream and writes whatever is queued for that destination as one {@code EnvelopeBatch} per write,
 * only while gRPC flow control says the stream {@link io.grpc.ClientCall#isReady() is ready}, so a
 * slow peer pushes back on its queue instead of on memory. Each destination's queue is bounded
 * ({@link Builder#maxQueuedEnvelopes}, {@link Builder#maxQueuedBytes}); envelopes that do not fit are
 * dropped, logged and counted in {@link #stats()}. A failed or refused stream is reopened on demand
 * after an exponential backoff with jitter; envelopes queued meanwhile are kept (within the bounds)
 * and sent once the peer is back.
 *
 * <p>Versions (the rules are in {@code proto/README.md}): a stream's opening is the one version
 * handshake. Each side states the range of protocol versions it speaks, [{@link
 * WireMessage#MIN_PROTOCOL_VERSION}, {@link WireMessage#PROTOCOL_VERSION}], and the stream speaks
 * the highest version in both ({@link #linkProtocolVersion}); without a common version the stream
 * is refused with an error naming both ranges, logged once per minute per peer on each side (not on
 * every retry). Envelopes whose body type this build does not know (a newer peer's) are skipped and
 * counted ({@link Stats#unknownMessagesSkipped}); unknown fields in known messages are ignored; the
 * stream stays up. Inbound gRPC messages larger than {@link Builder#maxMessageSize} and malformed
 * envelopes close that peer's stream with a log line naming the peer; other peers are not affected.
 *
 * <p>Thread-safety: all methods may be called from any thread; {@link #send} never blocks and never
 * throws. The receiver is called on this transport's server threads, one envelope at a time per
 * inbound stream. {@link #close()} sends what is queued (bounded by {@link
 * Builder#closeGracePeriod}), then stops the server, the channels and every thread it started.
 */
public final class GrpcTransport implements Transport {
  private static final java.util.concurrent.atomic.AtomicBoolean PLAINTEXT_WARNED =
      new java.util.concurrent.atomic.AtomicBoolean();
  private static final Logger log = LoggerFactory.getLogger(GrpcTransport.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  /** See {@link VersionRange#VERSION_HEADER}. */
  static final Metadata.Key<String> VERSION_HEADER = VersionRange.VERSION_HEADER;
  /** See {@link VersionRange#VERSIONS_HEADER}. */
  static final Metadata.Key<String> VERSIONS_HEADER = VersionRange.VERSIONS_HEADER;
  /** Request header carrying the address the caller listens on (for logs). */
  static final Metadata.Key<String> FROM_HEADER = Metadata.Key.of("chatmesh-from", Metadata.ASCII_STRING_MARSHALLER);

  private enum State {
    NEW,
    RUNNING,
    CLOSED
  }

  final TransportSettings settings;
  private final HostPort listen;
  private final String threadPrefix;
  private final @Nullable String advertised;
  private final int ioThreads;
  /** Mutual TLS, or null for plaintext (chosen explicitly with {@link Builder#plaintext()}). */
  private final @Nullable GrpcTls tls;
  private final OutboundLinks links;
  final TransportCounters counters = new TransportCounters();
  /** Repeating warnings (refused links, unknown message types): once per minute per key. */
  final LogLimiter logLimiter = new LogLimiter(1, TimeUnit.MINUTES);

  private volatile State state = State.NEW;
  private volatile String address = "";
  /** The server, threads and credentials; set by {@link #start}. */
  private volatile @Nullable TransportRuntime runtime;
  private volatile Transport.@Nullable Receiver receiver;

  private GrpcTransport(Builder b) {
    this.listen = b.listen;
    this.settings =
        new TransportSettings(
            b.maxMessageSize,
            b.maxQueuedEnvelopes,
            b.maxQueuedBytes,
            Math.min(b.maxBatchBytes, b.maxMessageSize - 64), // a batch must fit the peer's limit
            b.handshakeTimeout,
            b.initialBackoff,
            b.maxBackoff,
            b.jitter,
            b.closeGracePeriod,
            b.keepAliveTime,
            b.versions);
    this.links = new OutboundLinks(this, new RecordEncoder(b.testEncoder));
    this.advertised = b.advertisedAddress;
    this.ioThreads = b.ioThreads;
    if (b.tls == null && !b.plaintext) {
      throw new ChatException(
          ErrorCode.BAD_REQUEST,
          "the gRPC transport on " + b.listen + " needs a security mode: tls(GrpcTls) for mutual TLS between nodes, or"
              + " plaintext() to run without authentication or encryption (trusted test networks only)");
    }
    this.tls = b.tls;
    this.threadPrefix = "chatmesh-grpc-" + INSTANCES.incrementAndGet() + "-";
  }

  /**
   * A builder for a transport listening on {@code listenAddress} ({@code host:port}; port 0 picks a
   * free port).
   *
   * @throws ChatException BAD_REQUEST if the address is not {@code host:port}
   * @param listenAddress {@code host:port} to listen on
   * @return a new builder
   */
  public static Builder builder(String listenAddress) {
    return new Builder(HostPort.parse(listenAddress));
  }

  // ------------------------------------------------------------------------------- lifecycle

  /**
   * Binds the server and returns the address peers reach this node at (the bound port when the
   * configured one was 0).
   *
   * @throws ChatException UNAVAILABLE naming the address if it cannot be bound; BAD_REQUEST if
   *     already started or closed
   */
  @Override
  public synchronized String start(Receiver receiver) {
    Objects.requireNonNull(receiver, "receiver");
    if (state != State.NEW) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "gRPC transport on " + listen + " was already started");
    }
    this.receiver = receiver;
    TransportRuntime rt;
    try {
      rt = TransportRuntime.start(this, listen, ioThreads, tls, threadPrefix);
    } catch (ChatException e) {
      state = State.CLOSED;
      throw e;
    }
    this.runtime = rt;
    int port = rt.boundPort();
    String adv = advertised;
    this.address = adv != null ? adv : new HostPort(listen.host(), port).toString();
    if (adv == null && listen.isWildcard()) {
      log.warn(
          "gRPC transport listens on wildcard {}; peers cannot dial {}: set advertisedAddress", listen, address);
    }
    state = State.RUNNING;
    if (tls == null) {
      // loud once per process (a deployment runs one transport per process); a test JVM with
      // hundreds of plaintext transports gets one warning, then a debug line each
      String insecure =
          "INSECURE: gRPC transport on {} runs in PLAINTEXT: peers are not authenticated and traffic is not encrypted;"
              + " anyone who reaches this port can act as any node. Use tls(GrpcTls) outside a trusted test network.";
      if (PLAINTEXT_WARNED.compareAndSet(false, true)) {
        log.warn(insecure, address);
      } else {
        log.debug(insecure, address);
      }
    }
    log.info("gRPC transport listening on {} ({}, threads {}*)", address, tls == null ? "plaintext" : "mutual TLS", threadPrefix);
    return address;
  }

  /**
   * Queues {@code envelope} for {@code address}. Never blocks or throws: an unparseable address, an
   * envelope larger than {@link Builder#maxMessageSize}, a full queue or a closed transport drop the
   * envelope, log it and count it in {@link #stats()}.
   */
  @Override
  public void send(String address, Envelope envelope) {
    if (state != State.RUNNING) {
      counters.droppedClosed.incrementAndGet();
      return;
    }
    links.send(address, envelope, runtime);
  }

  /**
   * {@code false} while more than half of the queue bound ({@link Builder#maxQueuedEnvelopes} or
   * {@link Builder#maxQueuedBytes}) is used for {@code address}, until it drained below a quarter.
   */
  @Override
  public boolean isWritable(String address) {
    return links.isWritable(address);
  }

  /**
   * Sends what is queued (waiting at most {@link Builder#closeGracePeriod}), then shuts down the
   * server, every channel and every thread this transport started. Idempotent.
   */
  @Override
  public void close() {
    List<OutboundLink> all;
    synchronized (this) {
      if (state != State.RUNNING) {
        state = State.CLOSED;
        return;
      }
      state = State.CLOSED;
      all = links.all();
    }
    long graceNanos = settings.closeGracePeriod().toNanos();
    long deadline = System.nanoTime() + graceNanos;
    CompletableFuture<?>[] flushes = all.stream().map(OutboundLink::flush).toArray(CompletableFuture[]::new);
    try {
      CompletableFuture.allOf(flushes).get(graceNanos, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      log.warn("gRPC transport {}: queued envelopes not all sent within {}", address, settings.closeGracePeriod());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      log.debug("flush failed", e);
    }
    for (OutboundLink l : all) {
      l.shutdown(false);
    }
    TransportRuntime rt = runtime;
    if (rt != null) {
      rt.shutdownServer();
    }
    for (OutboundLink l : all) {
      l.awaitTermination(Math.max(0, deadline - System.nanoTime()));
    }
    links.stopLate(all);
    stopEverything(false);
    log.info("gRPC transport {} closed", address);
  }

  /**
   * Kills this transport abruptly, as if the process died: no flush, server and channels shut down
   * at once, threads stopped. For tests ({@code GrpcTransportFixture.crash}); the address can be
   * bound again by a new transport once this returns.
   */
  void crash() {
    List<OutboundLink> all;
    synchronized (this) {
      State was = state;
      state = State.CLOSED;
      if (was != State.RUNNING) {
        return;
      }
      all = links.all();
    }
    TransportRuntime rt = runtime;
    if (rt != null) {
      rt.shutdownServerNow();
    }
    for (OutboundLink l : all) {
      l.shutdown(true);
    }
    for (OutboundLink l : all) {
      l.awaitTermination(TimeUnit.SECONDS.toNanos(5));
    }
    links.stopLate(all);
    stopEverything(true);
    log.info("gRPC transport {} crashed (killed abruptly)", address);
  }

  private void stopEverything(boolean now) {
    TransportRuntime rt = runtime;
    if (rt != null) {
      rt.stop(now, address);
    }
  }

  // ------------------------------------------------------------------------------- queries

  /**
   * The address peers reach this transport at; empty before {@link #start}.
   *
   * @return the address, or empty
   */
  public String address() {
    return address;
  }

  /**
   * A snapshot of this transport's counters.
   *
   * @return the counters
   */
  public Stats stats() {
    return links.stats();
  }

  /**
   * The protocol version agreed on the outbound link to {@code address} (the highest version both
   * nodes speak), while that link is open; empty before it opened, while it is down, or if it was
   * refused.
   *
   * @param address the peer's address
   * @return the agreed version, or empty
   */
  public OptionalInt linkProtocolVersion(String address) {
    int v = links.protocolVersion(address);
    return v == 0 ? OptionalInt.empty() : OptionalInt.of(v);
  }

  /**
   * The last error of the outbound link to {@code address} (for example a protocol version
   * refusal), if the link exists and has failed since it last opened.
   *
   * @param address the peer's address
   * @return the error, or empty
   */
  public Optional<String> linkError(String address) {
    return Optional.ofNullable(links.lastError(address));
  }

  /** Whether links use mutual TLS (each inbound link then proves its node id). */
  boolean tlsEnabled() {
    return tls != null;
  }

  /** A channel builder to {@code host:port} with this transport's security mode. */
  NettyChannelBuilder channelBuilder(String host, int port) {
    TransportRuntime rt = runtime;
    if (rt == null) {
      throw new IllegalStateException("gRPC transport on " + listen + " is not started");
    }
    return rt.channelBuilder(host, port);
  }

  boolean running() {
    return state == State.RUNNING;
  }

  Transport.@Nullable Receiver receiver() {
    return receiver;
  }

  String localAddress() {
    return address;
  }

  /** Every thread this transport starts has a name starting with this prefix. */
  String threadNamePrefix() {
    return threadPrefix;
  }

  @Override
  public String toString() {
    return "GrpcTransport[" + (address.isEmpty() ? listen.toString() : address) + ", " + state + "]";
  }

  // ------------------------------------------------------------------------------- values

  /**
   * Counters of a {@link GrpcTransport}, as a snapshot. Immutable; thread-safe.
   *
   * @param envelopesSent envelopes written to streams
   * @param batchesSent gRPC messages written (each carries one or more envelopes)
   * @param envelopesReceived envelopes handed to the receiver
   * @param unknownMessagesSkipped envelopes received with a body type this build does not know (sent
   *     by a peer with a newer schema), skipped without closing the link
   * @param droppedQueueFull envelopes dropped because a destination's queue was full
   * @param droppedTooLarge envelopes dropped because they exceed the maximum message size
   * @param droppedUnroutable envelopes dropped for an unusable address or encoding failure
   * @param droppedRejected queued envelopes dropped because the peer refused the link (protocol)
   * @param droppedClosed envelopes sent after {@link #close()}
   * @param inboundStreamsRejected inbound streams refused or closed for bad input (version
   *     mismatch, malformed envelope, oversized message)
   * @param linksOpened outbound streams accepted by their peer (reconnects included)
   * @param queued envelopes currently waiting in outbound queues
   * @param queuedBytes encoded bytes of the envelopes currently waiting in outbound queues
   */
  public record Stats(
      long envelopesSent,
      long batchesSent,
      long envelopesReceived,
      long unknownMessagesSkipped,
      long droppedQueueFull,
      long droppedTooLarge,
      long droppedUnroutable,
      long droppedRejected,
      long droppedClosed,
      long inboundStreamsRejected,
      long linksOpened,
      long queued,
      long queuedBytes) {}

  // ------------------------------------------------------------------------------- builder

  /**
   * Configures a {@link GrpcTransport}. Not thread-safe. Invalid values throw {@link ChatException}
   * BAD_REQUEST naming the setting.
   */
  public static final class Builder {
    private final HostPort listen;
    private @Nullable String advertisedAddress;
    private int maxMessageSize = 4 << 20;
    private int maxQueuedEnvelopes = 10_000;
    private long maxQueuedBytes = 32L << 20;
    private int maxBatchBytes = 256 << 10;
    private Duration handshakeTimeout = Duration.ofSeconds(5);
    private Duration initialBackoff = Duration.ofMillis(100);
    private Duration maxBackoff = Duration.ofSeconds(5);
    private double jitter = 0.2;
    private Duration closeGracePeriod = Duration.ofSeconds(2);
    private Duration keepAliveTime = Duration.ofSeconds(20);
    private int ioThreads = 1;
    private VersionRange versions = new VersionRange(WireMessage.MIN_PROTOCOL_VERSION, WireMessage.PROTOCOL_VERSION);
    private @Nullable Function<Envelope, byte[]> testEncoder;
    private @Nullable GrpcTls tls;
    private boolean plaintext;

    Builder(HostPort listen) {
      this.listen = listen;
    }

    /**
     * The address to tell peers when it differs from the listen address (e.g. listening on {@code
     * 0.0.0.0:9091}, reachable as {@code 10.0.0.5:9091}). Default: the listen address with the bound
     * port.
     *
     * @param address {@code host:port} peers connect to
     * @return this builder
     */
    public Builder advertisedAddress(String address) {
      this.advertisedAddress = HostPort.parse(address).toString();
      return this;
    }

    /**
     * Largest gRPC message accepted from a peer, in bytes; a bigger one closes that peer's stream.
     * Also the largest single envelope this transport sends (peers should use the same value).
     * Default 4 MiB.
     *
     * @param bytes the limit, at least 1024
     * @return this builder
     */
    public Builder maxMessageSize(int bytes) {
      this.maxMessageSize = atLeast(bytes, 1024, "maxMessageSize");
      return this;
    }

    /**
     * Most envelopes queued per destination before new ones are dropped. Default 10,000.
     *
     * @param envelopes the bound, at least 1
     * @return this builder
     */
    public Builder maxQueuedEnvelopes(int envelopes) {
      this.maxQueuedEnvelopes = atLeast(envelopes, 1, "maxQueuedEnvelopes");
      return this;
    }

    /**
     * Most encoded bytes queued per destination before new envelopes are dropped. Default 32 MiB.
     *
     * @param bytes the bound, at least 1024
     * @return this builder
     */
    public Builder maxQueuedBytes(long bytes) {
      if (bytes < 1024) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "maxQueuedBytes must be at least 1024, was " + bytes);
      }
      this.maxQueuedBytes = bytes;
      return this;
    }

    /**
     * Target size of one batch (one gRPC message); a single larger envelope is sent alone. Default
     * 256 KiB.
     *
     * @param bytes the target, at least 1024
     * @return this builder
     */
    public Builder maxBatchBytes(int bytes) {
      this.maxBatchBytes = atLeast(bytes, 1024, "maxBatchBytes");
      return this;
    }

    /**
     * Deadline for a peer to accept a new stream (connect plus protocol check); after it the
     * attempt counts as failed and is retried with backoff. Default 5 s.
     *
     * @param d the timeout, positive
     * @return this builder
     */
    public Builder handshakeTimeout(Duration d) {
      this.handshakeTimeout = positive(d, "handshakeTimeout");
      return this;
    }

    /**
     * Reconnect backoff: the first retry after {@code initial}, each further one twice as late, at
     * most {@code max}, each randomised by ±{@code jitter} (0 to 1). Default 100 ms, 5 s, 0.2.
     *
     * @param initial the first delay, positive
     * @param max the longest delay, not below {@code initial}
     * @param jitter the random spread, 0 to 1
     * @return this builder
     */
    public Builder backoff(Duration initial, Duration max, double jitter) {
      this.initialBackoff = positive(initial, "initial backoff");
      this.maxBackoff = positive(max, "max backoff");
      if (max.compareTo(initial) < 0) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "max backoff " + max + " is below initial backoff " + initial);
      }
      if (!(jitter >= 0 && jitter <= 1)) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "jitter must be in [0, 1], was " + jitter);
      }
      this.jitter = jitter;
      return this;
    }

    /**
     * How long {@link GrpcTransport#close()} waits for queued envelopes to go out. Default 2 s.
     *
     * @param d the grace period, not negative
     * @return this builder
     */
    public Builder closeGracePeriod(Duration d) {
      if (d == null || d.isNegative()) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "closeGracePeriod must not be negative, was " + d);
      }
      this.closeGracePeriod = d;
      return this;
    }

    /**
     * HTTP/2 keepalive ping interval on outbound connections (detects dead peers). Default 20 s.
     *
     * @param d the interval, positive
     * @return this builder
     */
    public Builder keepAliveTime(Duration d) {
      this.keepAliveTime = positive(d, "keepAliveTime");
      return this;
    }

    /** Netty event-loop threads: they do the network I/O, decode inbound batches and hand them to the
     * engine, and run the outbound links (each link stays on one loop). Default 1.
     *
     * @param n the number of threads, at least 1
     * @return this builder
     */
    public Builder ioThreads(int n) {
      this.ioThreads = atLeast(n, 1, "ioThreads");
      return this;
    }

    /**
     * Mutual TLS between nodes (see {@link GrpcTls}): only peers with a certificate from the
     * cluster CA get a link, and each envelope must come from the node its link's certificate
     * names. One of this and {@link #plaintext()} is required.
     *
     * @param tls the certificate files
     * @return this builder
     */
    public Builder tls(GrpcTls tls) {
      if (tls == null) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "tls must not be null (use plaintext() for no TLS)");
      }
      this.tls = tls;
      this.plaintext = false;
      return this;
    }

    /**
     * No TLS: peers are not authenticated and traffic is not encrypted, so anyone who reaches the
     * port can act as any node. For tests and trusted networks only; logged at WARN ("INSECURE", once per process)
     * when the transport starts. One of this and {@link #tls} is required.
     *
     * @return this builder
     */
    public Builder plaintext() {
      this.plaintext = true;
      this.tls = null;
      return this;
    }

    /** For tests: pretend to speak another range of protocol versions. */
    Builder protocolVersions(int min, int max) {
      this.versions = new VersionRange(min, max);
      return this;
    }

    /**
     * For tests: encode envelopes with {@code encoder} (one or more EnvelopeBatch {@code envelopes}
     * records per envelope) instead of {@link BatchCodec#encodeRecord}, e.g. to speak a newer schema.
     */
    Builder testEncoder(Function<Envelope, byte[]> encoder) {
      this.testEncoder = encoder;
      return this;
    }

    /**
     * The unstarted transport.
     *
     * @return a transport that is not started yet
     * @throws ChatException BAD_REQUEST if neither {@link #tls} nor {@link #plaintext()} was chosen
     */
    public GrpcTransport build() {
      return new GrpcTransport(this);
    }

    private static int atLeast(int v, int min, String what) {
      if (v < min) {
        throw new ChatException(ErrorCode.BAD_REQUEST, what + " must be at least " + min + ", was " + v);
      }
      return v;
    }

    private static Duration positive(@Nullable Duration d, String what) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new ChatException(ErrorCode.BAD_REQUEST, what + " must be positive, was " + d);
      }
      return d;
    }
  }
}
