package io.chatmesh.micrometer;

import io.chatmesh.ChatException;
import io.chatmesh.ChatNode;
import io.chatmesh.ErrorCode;
import io.chatmesh.metrics.MetricsObserver;
import io.chatmesh.metrics.NodeMetricsSnapshot;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Binds a {@link ChatNode}'s metrics to a Micrometer {@link MeterRegistry}: counters and gauges as
 * {@link FunctionCounter}s and {@link Gauge}s over {@link ChatNode#metrics()} (read at scrape time;
 * the node keeps no reference to Micrometer), and latencies as {@link Timer}s with percentiles fed
 * by a {@link MetricsObserver} registered on the node.
 *
 * <pre>{@code
 * PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * ChatNodeMetrics.builder(node).build().bindTo(registry);
 * }</pre>
 *
 * <p>Micrometer holds a meter's object weakly: the meters stay alive as long as the node does (the
 * binder itself need not be kept). Every meter is named {@code chatmesh.*} and tagged {@code node=<node id>} plus the configured
 * common tags; no tag carries a user or a room, so the number of series is fixed per node (see the
 * module's README for the list). Bind one node to a registry once: binding registers an observer
 * on the node, which cannot be removed. Thread-safe after {@link Builder#build()}.
 */
public final class ChatNodeMetrics implements MeterBinder {
  /** Scrapes within this window share one snapshot of the node. */
  private static final long SNAPSHOT_TTL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final ChatNode node;
  private final Tags tags;
  private final double[] percentiles;
  private final boolean histogram;

  private ChatNodeMetrics(Builder b) {
    this.node = b.node;
    this.tags = Tags.of("node", node.id().value()).and(b.tags);
    this.percentiles = b.percentiles;
    this.histogram = b.histogram;
  }

  /**
   * A builder binding {@code node}.
   *
   * @param node the node whose meters to publish
   * @return a new builder
   */
  public static Builder builder(ChatNode node) {
    return new Builder(node);
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Snapshots<NodeMetricsSnapshot> s = new Snapshots<>(node::metrics, SNAPSHOT_TTL_NANOS);
    gauge(registry, s, "chatmesh.peers.live", "peers considered alive", null, NodeMetricsSnapshot::livePeers, Tags.empty());
    counter(registry, s, "chatmesh.peers.suspicions", "peers declared dead after missing heartbeats", NodeMetricsSnapshot::suspicions, Tags.empty());
    counter(registry, s, "chatmesh.rooms.takeovers", "rooms this node took over (failover, planned move)", NodeMetricsSnapshot::takeovers, Tags.empty());
    gauge(registry, s, "chatmesh.rooms.administered", "rooms this node administers", null, NodeMetricsSnapshot::roomsAdministered, Tags.empty());
    gauge(registry, s, "chatmesh.rooms.joined", "rooms with users joined through this node", null, NodeMetricsSnapshot::roomsJoined, Tags.empty());
    gauge(registry, s, "chatmesh.room.members", "members of the rooms this node administers", null, NodeMetricsSnapshot::members, Tags.empty());
    counter(registry, s, "chatmesh.sends.accepted", "sends made on this node and acknowledged", NodeMetricsSnapshot::sendsAccepted, Tags.empty());
    for (ErrorCode code : ErrorCode.values()) {
      counter(registry, s, "chatmesh.sends.refused", "sends made on this node that failed, by error code",
          m -> m.sendsRefused(code), Tags.of("code", code.name()));
    }
    counter(registry, s, "chatmesh.deliveries", "room events delivered to local users' listeners", NodeMetricsSnapshot::deliveries, Tags.empty());
    counter(registry, s, "chatmesh.resend.requests", "gaps this node asked an admin to resend", NodeMetricsSnapshot::resendRequests, Tags.empty());
    counter(registry, s, "chatmesh.resend.entries", "entries resent by this node as an admin", NodeMetricsSnapshot::entriesResent, Tags.empty());
    counter(registry, s, "chatmesh.messages.lost", "entries reported lost to local members", NodeMetricsSnapshot::messagesLost, Tags.empty());
    counter(registry, s, "chatmesh.dedup.hits", "sends recognised as retries by this admin", NodeMetricsSnapshot::dedupHits, Tags.empty());
    counter(registry, s, "chatmesh.twopc.outcomes", "two-phase commits coordinated by this node",
        NodeMetricsSnapshot::twoPcCommitted, Tags.of("outcome", "committed"));
    counter(registry, s, "chatmesh.twopc.outcomes", "two-phase commits coordinated by this node",
        NodeMetricsSnapshot::twoPcRolledBack, Tags.of("outcome", "rolled_back"));
    gauge(registry, s, "chatmesh.lane.queued", "tasks waiting on the node's lanes", null, NodeMetricsSnapshot::nodeLaneQueued, Tags.of("lane", "node"));
    gauge(registry, s, "chatmesh.lane.queued", "tasks waiting on the node's lanes", null, NodeMetricsSnapshot::roomLanesQueued, Tags.of("lane", "rooms"));
    gauge(registry, s, "chatmesh.lane.queued", "tasks waiting on the node's lanes", null, NodeMetricsSnapshot::storeLaneQueued, Tags.of("lane", "store"));
    gauge(registry, s, "chatmesh.lane.oldest.wait", "age of the oldest task waiting on any lane", "seconds",
        m -> m.oldestQueuedNanos() / 1e9, Tags.empty());
    gauge(registry, s, "chatmesh.history.backlog", "entries sequenced and waiting for their history append", null,
        NodeMetricsSnapshot::historyBacklog, Tags.empty());
    gauge(registry, s, "chatmesh.history.failing.rooms", "administered rooms whose history store fails appends", null,
        NodeMetricsSnapshot::roomsStoreFailing, Tags.empty());
    counter(registry, s, "chatmesh.flow.holds", "sends held by flow control", NodeMetricsSnapshot::sendsHeld, Tags.of("side", "admin"));
    counter(registry, s, "chatmesh.flow.holds", "sends held by flow control", NodeMetricsSnapshot::sendsWaited, Tags.of("side", "member"));
    Gauge.builder("chatmesh.node.ready", node, n -> n.health().ready() ? 1 : 0)
        .description("1 when the node is ready (ChatNode.health())")
        .tags(tags)
        .register(registry);

    Timer sequencing = timer(registry, "chatmesh.sequencing", "admin: from sequencing an entry to its release (durable, broadcast, acknowledged)");
    Timer sendAck = timer(registry, "chatmesh.send.ack", "member: from a send on this node to the admin's acknowledgement");
    Timer append = timer(registry, "chatmesh.history.append", "admin: one history-store append, from the call to its completion");
    node.addMetricsObserver(new MetricsObserver() {
      @Override
      public void sequenced(long nanos) {
        sequencing.record(nanos, TimeUnit.NANOSECONDS);
      }

      @Override
      public void sendAcknowledged(long nanos) {
        sendAck.record(nanos, TimeUnit.NANOSECONDS);
      }

      @Override
      public void historyAppended(int entries, long nanos) {
        append.record(nanos, TimeUnit.NANOSECONDS);
      }

      @Override
      public String toString() {
        return "ChatNodeMetrics[" + node.id() + "]";
      }
    });
  }

  private void counter(
      MeterRegistry registry, Snapshots<NodeMetricsSnapshot> s, String name, String help, ToLongFunction<NodeMetricsSnapshot> f, Tags extra) {
    // the node is the meter's (weakly held) object; the lambda holds the cache
    FunctionCounter.builder(name, node, n -> f.applyAsLong(s.get())).description(help).tags(tags.and(extra)).register(registry);
  }

  private void gauge(
      MeterRegistry registry, Snapshots<NodeMetricsSnapshot> s, String name, String help, @Nullable String unit,
      ToDoubleFunction<NodeMetricsSnapshot> f, Tags extra) {
    Gauge.builder(name, node, n -> f.applyAsDouble(s.get())).description(help).baseUnit(unit).tags(tags.and(extra)).register(registry);
  }

  private Timer timer(MeterRegistry registry, String name, String help) {
    Timer.Builder b =
        Timer.builder(name)
            .description(help)
            .tags(tags)
            .publishPercentiles(percentiles)
            .minimumExpectedValue(Duration.ofNanos(100_000))
            .maximumExpectedValue(Duration.ofSeconds(30));
    if (histogram) {
      b.publishPercentileHistogram();
    }
    return b.register(registry);
  }

  /** Configures a {@link ChatNodeMetrics}. Not thread-safe. */
  public static final class Builder {
    private final ChatNode node;
    private final List<Tag> tags = new ArrayList<>();
    private double[] percentiles = {0.5, 0.95, 0.99};
    private boolean histogram;

    private Builder(ChatNode node) {
      if (node == null) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "node must not be null");
      }
      this.node = node;
    }

    /**
     * Tags added to every meter besides {@code node} (for example {@code cluster}). Keep them
     * bounded: never a user or room name.
     *
     * @param keyValues key, value, key, value, ...
     * @return this builder
     * @throws ChatException BAD_REQUEST for an odd number of strings or a null
     */
    public Builder tags(String... keyValues) {
      if (keyValues == null || keyValues.length % 2 != 0) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "tags must be key/value pairs");
      }
      for (int i = 0; i < keyValues.length; i += 2) {
        if (keyValues[i] == null || keyValues[i + 1] == null) {
          throw new ChatException(ErrorCode.BAD_REQUEST, "tag keys and values must not be null");
        }
        tags.add(Tag.of(keyValues[i], keyValues[i + 1]));
      }
      return this;
    }

    /**
     * Percentiles the timers publish (computed in this process, per node). Default 0.5, 0.95, 0.99.
     *
     * @param values percentiles, each in 0..1
     * @return this builder
     * @throws ChatException BAD_REQUEST for a value outside 0..1
     */
    public Builder percentiles(double... values) {
      for (double v : values) {
        if (!(v >= 0 && v <= 1)) {
          throw new ChatException(ErrorCode.BAD_REQUEST, "percentiles must be within 0..1, was " + v);
        }
      }
      this.percentiles = values.clone();
      return this;
    }

    /**
     * Also publish a percentile histogram (buckets between 100 µs and 30 s) so percentiles can be
     * aggregated across nodes ({@code histogram_quantile} in Prometheus). Default off: about 70
     * more series per timer.
     *
     * @param enabled whether to publish the histogram
     * @return this builder
     */
    public Builder percentileHistogram(boolean enabled) {
      this.histogram = enabled;
      return this;
    }

    /**
     * Builds the binder.
     *
     * @return the binder; bind it with {@code bindTo(registry)}
     */
    public ChatNodeMetrics build() {
      return new ChatNodeMetrics(this);
    }
  }
}
