package io.chatmesh.micrometer;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.websocket.GatewayStats;
import io.chatmesh.websocket.WebSocketGateway;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.concurrent.TimeUnit;

/**
 * Binds a {@link WebSocketGateway}'s {@link WebSocketGateway#stats()} to a Micrometer registry:
 * open connections, connections accepted, frames in and out by type, error frames by code,
 * slow-reader disconnects and rate-limit hits. Tags come from fixed sets (frame types, error codes),
 * never from users. Every meter is named {@code chatmesh.gateway.*}. Thread-safe.
 *
 * <p>Needs {@code chatmesh-websocket} on the class path (an optional dependency of this module).
 */
public final class WebSocketGatewayMetrics implements MeterBinder {
  private final WebSocketGateway gateway;
  private final Tags tags;

  /**
   * A binder for {@code gateway}, tagging its meters with {@code tags} (key/value pairs, for
   * example {@code "node", "n1"}).
   *
   * @param gateway the gateway whose meters to publish
   * @param tags key, value, key, value, ...
   * @throws ChatException BAD_REQUEST if the gateway is null or the tags are not pairs
   */
  public WebSocketGatewayMetrics(WebSocketGateway gateway, String... tags) {
    if (gateway == null || tags.length % 2 != 0) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "gateway must not be null and tags must be key/value pairs");
    }
    this.gateway = gateway;
    this.tags = Tags.of(tags);
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Snapshots<GatewayStats> s = new Snapshots<>(gateway::stats, TimeUnit.MILLISECONDS.toNanos(100));
    GatewayStats first = s.get();
    // the gateway is the meters' (weakly held) object; the lambdas hold the cache
    Gauge.builder("chatmesh.gateway.connections", gateway, g -> s.get().connections())
        .description("open WebSocket and HTTP connections").tags(tags).register(registry);
    FunctionCounter.builder("chatmesh.gateway.connections.opened", gateway, g -> s.get().connectionsOpened())
        .description("connections accepted").tags(tags).register(registry);
    for (String type : first.framesIn().keySet()) {
      FunctionCounter.builder("chatmesh.gateway.frames", gateway, g -> s.get().framesIn().getOrDefault(type, 0L))
          .description("frames received and sent, by type").tags(tags.and("direction", "in", "type", type)).register(registry);
    }
    for (String type : first.framesOut().keySet()) {
      FunctionCounter.builder("chatmesh.gateway.frames", gateway, g -> s.get().framesOut().getOrDefault(type, 0L))
          .description("frames received and sent, by type").tags(tags.and("direction", "out", "type", type)).register(registry);
    }
    for (String code : first.errors().keySet()) {
      FunctionCounter.builder("chatmesh.gateway.errors", gateway, g -> s.get().errors().getOrDefault(code, 0L))
          .description("error frames sent, by code").tags(tags.and("code", code)).register(registry);
    }
    FunctionCounter.builder("chatmesh.gateway.slow.disconnects", gateway, g -> s.get().slowReaderDisconnects())
        .description("clients disconnected for reading too slowly").tags(tags).register(registry);
    FunctionCounter.builder("chatmesh.gateway.rate.limited", gateway, g -> s.get().rateLimited())
        .description("requests refused by the per-connection rate limit").tags(tags).register(registry);
  }
}
