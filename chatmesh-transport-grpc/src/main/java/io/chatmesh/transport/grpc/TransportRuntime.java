package io.chatmesh.transport.grpc;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NegotiationType;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a started {@link GrpcTransport} runs on: the Netty event loops, the client executor, the
 * loaded TLS credentials (with their reloading) and the gRPC server bound to the listen address.
 * {@link #start} creates them all or, if any step fails, stops what it created; {@link #stop} stops
 * them all. It also builds the outbound channels with the transport's security mode. Every thread
 * it starts is a daemon named with the transport's thread prefix.
 *
 * <p>Thread-safety: immutable once {@link #start} returned; {@link #channelBuilder} may be called
 * from any thread. {@link #shutdownServer}, {@link #shutdownServerNow} and {@link #stop} are called
 * by the transport's close or crash (once; a second stop is harmless).
 */
final class TransportRuntime {
  /** The transport's logger: these lines are about the transport's lifecycle. */
  private static final Logger log = LoggerFactory.getLogger(GrpcTransport.class);

  private final Server server;
  private final EventLoopGroup ioGroup;
  private final ScheduledExecutorService clientExecutor;
  private final GrpcTls.@Nullable Loaded credentials;

  private TransportRuntime(
      Server server, EventLoopGroup ioGroup, ScheduledExecutorService clientExecutor, GrpcTls.@Nullable Loaded credentials) {
    this.server = server;
    this.ioGroup = ioGroup;
    this.clientExecutor = clientExecutor;
    this.credentials = credentials;
  }

  /**
   * Starts the event loops and the client executor, loads {@code tls} (null: plaintext) and binds
   * the server that serves {@code owner}'s inbound links.
   *
   * @throws ChatException as {@link GrpcTls} throws it if the credentials cannot be loaded;
   *     UNAVAILABLE naming the address if it cannot be bound (everything started is stopped then)
   */
  static TransportRuntime start(
      GrpcTransport owner, HostPort listen, int ioThreads, @Nullable GrpcTls tls, String threadPrefix) {
    TransportSettings settings = owner.settings;
    EventLoopGroup io =
        new MultiThreadIoEventLoopGroup(ioThreads, threads(threadPrefix, "io"), NioIoHandler.newFactory());
    // blocking work only (name resolution of peer addresses); links and timers run on the loops
    ScheduledThreadPoolExecutor clientExec = new ScheduledThreadPoolExecutor(1, threads(threadPrefix, "client"));
    clientExec.setRemoveOnCancelPolicy(true);
    clientExec.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    GrpcTls.Loaded creds;
    try {
      creds = tls == null ? null : tls.load(clientExec);
    } catch (ChatException e) {
      clientExec.shutdownNow();
      io.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).awaitUninterruptibly(5_000);
      throw e;
    }
    ServerServiceDefinition service = LinkMethod.service(new InboundLinkHandler(owner));
    ConnectionLogger connections = new ConnectionLogger(owner);
    Server s =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(listen.host(), listen.port()),
                creds == null ? InsecureServerCredentials.create() : creds.server())
            .channelFactory(connections::serverChannel)
            .bossEventLoopGroup(io)
            .workerEventLoopGroup(io)
            .withOption(ChannelOption.SO_REUSEADDR, true)
            .directExecutor() // inbound batches are decoded and handed to the engine (non-blocking) on the Netty thread: one thread hop fewer per batch (see BENCHMARKS.md)
            .maxInboundMessageSize(settings.maxMessageSize())
            .permitKeepAliveTime(Math.min(10_000, settings.keepAliveTime().toMillis()), TimeUnit.MILLISECONDS)
            .permitKeepAliveWithoutCalls(true)
            .addTransportFilter(connections)
            .addStreamTracerFactory(connections.tracerFactory())
            .addService(service)
            .build();
    try {
      s.start();
    } catch (IOException | RuntimeException e) {
      s.shutdownNow();
      clientExec.shutdownNow();
      io.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).awaitUninterruptibly(5_000);
      throw new ChatException(ErrorCode.UNAVAILABLE, "cannot listen on " + listen + ": " + e.getMessage(), e);
    }
    return new TransportRuntime(s, io, clientExec, creds);
  }

  /** The port the server is bound to. */
  int boundPort() {
    return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  /** The event loops (links run on them). */
  EventLoopGroup ioGroup() {
    return ioGroup;
  }

  /** The executor for blocking work (name resolution of peer addresses). */
  ScheduledExecutorService clientExecutor() {
    return clientExecutor;
  }

  /** A channel builder to {@code host:port} with the transport's security mode. */
  NettyChannelBuilder channelBuilder(String host, int port) {
    GrpcTls.Loaded creds = credentials;
    if (creds == null) {
      return NettyChannelBuilder.forAddress(host, port).negotiationType(NegotiationType.PLAINTEXT);
    }
    ChannelCredentials c = creds.channel();
    return NettyChannelBuilder.forAddress(host, port, c);
  }

  /** Stops accepting new streams; existing ones finish. */
  void shutdownServer() {
    server.shutdown();
  }

  /** Stops the server and cancels its streams at once. */
  void shutdownServerNow() {
    server.shutdownNow();
  }

  /**
   * Stops the server (after up to 100 ms for its streams to end, unless {@code now}), the TLS
   * reloading, the client executor and the event loops, waiting for each within a bound.
   * {@code address} is for the log.
   */
  void stop(boolean now, String address) {
    Server s = server;
    try {
      if (!now) {
        s.awaitTermination(100, TimeUnit.MILLISECONDS);
      }
      s.shutdownNow();
      if (!s.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("gRPC server {} did not terminate within 5 s", address);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    GrpcTls.Loaded creds = credentials;
    if (creds != null) {
      creds.stopReloading().run();
    }
    shutdownExecutor(clientExecutor);
    ioGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10_000);
  }

  private static void shutdownExecutor(ExecutorService e) {
    e.shutdown();
    try {
      if (!e.awaitTermination(2, TimeUnit.SECONDS)) {
        e.shutdownNow();
        e.awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException ex) {
      e.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static ThreadFactory threads(String threadPrefix, String role) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, threadPrefix + role + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
