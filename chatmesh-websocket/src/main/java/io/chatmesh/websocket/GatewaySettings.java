package io.chatmesh.websocket;

import io.chatmesh.ChatNode;
import io.chatmesh.time.ChatClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A gateway's configuration as every part of it reads it: the values of its {@link
 * WebSocketGateway.Builder}, copied when the gateway is built, with the origin policy resolved and
 * the TLS files loaded. Immutable; read by any thread (the caller of {@code start}, every event
 * loop, chatmesh threads delivering room events). {@link GatewayTls} itself reloads its files.
 */
final class GatewaySettings {
  final ChatNode node;
  final String host;
  final int port;
  final int maxFrameBytes;
  final int maxRequestsPerSecond;
  final long maxOutboundBytes;
  final int maxOutboundFrames;
  final Duration idleTimeout;
  final int workerThreads;
  final Authenticator authenticator;
  final LongSupplier nanoTime;
  final GatewayLimits limits;
  final Map<String, HttpRoute> routes;
  final ChatClock clock;
  final OriginPolicy origins;
  final @Nullable GatewayTls tls;

  GatewaySettings(WebSocketGateway.Builder b) {
    this.limits = b.limits;
    this.node = b.node;
    this.host = b.host;
    this.port = b.port;
    this.maxFrameBytes = b.maxFrameBytes;
    this.maxRequestsPerSecond = b.maxRequestsPerSecond;
    this.maxOutboundBytes = b.maxOutboundBytes;
    this.maxOutboundFrames = b.maxOutboundFrames;
    this.idleTimeout = b.idleTimeout;
    this.workerThreads = b.workerThreads;
    this.authenticator = b.authenticator;
    this.nanoTime = b.nanoTime;
    this.routes = Map.copyOf(b.routes);
    this.clock = b.clock;
    this.origins = new OriginPolicy(b.allowedOrigins, b.allowMissingOrigin);
    Path cert = b.tlsCertificateChain;
    Path key = b.tlsPrivateKey;
    this.tls = cert == null || key == null ? null : new GatewayTls(cert, key, b.tlsRefreshPeriod);
  }
}
