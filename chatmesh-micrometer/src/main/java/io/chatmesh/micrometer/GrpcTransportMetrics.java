package io.chatmesh.micrometer;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.transport.grpc.GrpcTransport;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * Binds a {@link GrpcTransport}'s {@link GrpcTransport#stats()} to a Micrometer registry: queued
 * envelopes and bytes, envelopes and batches sent, envelopes received, drops by reason, links
 * opened (every reconnect counts), inbound streams rejected, unknown messages skipped. The values
 * cover all of the transport's links together (a tag per peer would grow with the cluster). Every
 * meter is named {@code chatmesh.link.*} and tagged with the given tags. Thread-safe.
 *
 * <p>Needs {@code chatmesh-transport-grpc} on the class path (an optional dependency of this
 * module).
 */
public final class GrpcTransportMetrics implements MeterBinder {
  private final GrpcTransport transport;
  private final Tags tags;

  /**
   * A binder for {@code transport}, tagging its meters with {@code tags} (key/value pairs, for
   * example {@code "node", "n1"}).
   *
   * @param transport the transport whose link meters to publish
   * @param tags key, value, key, value, ...
   * @throws ChatException BAD_REQUEST if the transport is null or the tags are not pairs
   */
  public GrpcTransportMetrics(GrpcTransport transport, String... tags) {
    if (transport == null || tags.length % 2 != 0) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "transport must not be null and tags must be key/value pairs");
    }
    this.transport = transport;
    this.tags = Tags.of(tags);
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Snapshots<GrpcTransport.Stats> s = new Snapshots<>(transport::stats, TimeUnit.MILLISECONDS.toNanos(100));
    // the transport is the meters' (weakly held) object; the lambdas hold the cache
    Gauge.builder("chatmesh.link.queued.envelopes", transport, t -> s.get().queued())
        .description("envelopes waiting in outbound link queues").tags(tags).register(registry);
    Gauge.builder("chatmesh.link.queued.bytes", transport, t -> s.get().queuedBytes())
        .description("encoded bytes waiting in outbound link queues").baseUnit("bytes").tags(tags).register(registry);
    counter(registry, s, "chatmesh.link.envelopes", "envelopes sent and received", GrpcTransport.Stats::envelopesSent, Tags.of("direction", "sent"));
    counter(registry, s, "chatmesh.link.envelopes", "envelopes sent and received", GrpcTransport.Stats::envelopesReceived, Tags.of("direction", "received"));
    counter(registry, s, "chatmesh.link.batches", "gRPC messages written (each carries envelopes)", GrpcTransport.Stats::batchesSent, Tags.empty());
    String drops = "envelopes dropped, by reason";
    counter(registry, s, "chatmesh.link.drops", drops, GrpcTransport.Stats::droppedQueueFull, Tags.of("reason", "queue_full"));
    counter(registry, s, "chatmesh.link.drops", drops, GrpcTransport.Stats::droppedTooLarge, Tags.of("reason", "too_large"));
    counter(registry, s, "chatmesh.link.drops", drops, GrpcTransport.Stats::droppedUnroutable, Tags.of("reason", "unroutable"));
    counter(registry, s, "chatmesh.link.drops", drops, GrpcTransport.Stats::droppedRejected, Tags.of("reason", "rejected"));
    counter(registry, s, "chatmesh.link.drops", drops, GrpcTransport.Stats::droppedClosed, Tags.of("reason", "closed"));
    counter(registry, s, "chatmesh.link.opened", "outbound links opened (reconnects included)", GrpcTransport.Stats::linksOpened, Tags.empty());
    counter(registry, s, "chatmesh.link.inbound.rejected", "inbound streams refused for bad input", GrpcTransport.Stats::inboundStreamsRejected, Tags.empty());
    counter(registry, s, "chatmesh.link.unknown.skipped", "received messages of a type this build does not know",
        GrpcTransport.Stats::unknownMessagesSkipped, Tags.empty());
  }

  private void counter(
      MeterRegistry registry, Snapshots<GrpcTransport.Stats> s, String name, String help, ToLongFunction<GrpcTransport.Stats> f, Tags extra) {
    FunctionCounter.builder(name, transport, t -> f.applyAsLong(s.get())).description(help).tags(tags.and(extra)).register(registry);
  }
}
