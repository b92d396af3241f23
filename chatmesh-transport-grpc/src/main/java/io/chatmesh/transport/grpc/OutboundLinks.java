package io.chatmesh.transport.grpc;

import io.chatmesh.ChatException;
import io.chatmesh.spi.transport.Envelope;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbound side of a {@link GrpcTransport}: one {@link OutboundLink} per destination address,
 * made on the first envelope sent there (on one of the runtime's event loops), and the routing of
 * each sent envelope to its link as an encoded record ({@link RecordEncoder}). An unusable address
 * or an envelope that cannot be encoded is dropped, counted and logged (bad addresses: the first
 * 100 distinct ones). It also answers the per-destination queries (writability, agreed protocol
 * version, last error) and sums the queues for the transport's stats. Links are never removed; the
 * transport's close or crash stops them all.
 *
 * <p>Thread-safety: all methods may be called from any thread; the registry is a concurrent map
 * and a destination gets exactly one link.
 */
final class OutboundLinks {
  /** The transport's logger: these lines are about what the transport drops on send. */
  private static final Logger log = LoggerFactory.getLogger(GrpcTransport.class);

  private final GrpcTransport owner;
  private final RecordEncoder encoder;
  private final Map<String, OutboundLink> links = new ConcurrentHashMap<>();
  private final Set<String> loggedBadAddresses = ConcurrentHashMap.newKeySet();

  OutboundLinks(GrpcTransport owner, RecordEncoder encoder) {
    this.owner = owner;
    this.encoder = encoder;
  }

  /**
   * Queues {@code envelope} on the link to {@code address}, making the link on {@code runtime} if
   * there is none yet (with no runtime the envelope is dropped as sent after close). Never throws.
   */
  void send(String address, Envelope envelope, @Nullable TransportRuntime runtime) {
    TransportCounters counters = owner.counters;
    OutboundLink link = links.get(address);
    if (link == null) {
      HostPort target;
      try {
        target = HostPort.parse(address);
      } catch (ChatException e) {
        counters.droppedUnroutable.incrementAndGet();
        if (loggedBadAddresses.size() < 100 && loggedBadAddresses.add(address)) {
          log.warn("dropping {} to unusable address: {}", envelope.message().getClass().getSimpleName(), e.detail());
        }
        return;
      }
      TransportRuntime rt = runtime;
      if (rt == null) {
        counters.droppedClosed.incrementAndGet();
        return;
      }
      EventLoopGroup io = rt.ioGroup();
      link = links.computeIfAbsent(address, a -> new OutboundLink(owner, a, target, io.next(), rt.clientExecutor(), io));
    }
    byte[] record;
    try {
      record = encoder.encode(envelope);
    } catch (RuntimeException e) {
      counters.droppedUnroutable.incrementAndGet();
      log.error("cannot encode {} for {}", envelope, address, e);
      return;
    }
    link.enqueue(record, envelope);
  }

  /** See {@link GrpcTransport#isWritable}: true when there is no link to {@code address} yet. */
  boolean isWritable(String address) {
    OutboundLink link = links.get(address);
    return link == null || link.writable();
  }

  /** The protocol version agreed on the link to {@code address}; 0 if none is open. */
  int protocolVersion(String address) {
    OutboundLink l = links.get(address);
    return l == null ? 0 : l.protocolVersion();
  }

  /** The last error of the link to {@code address}, or null. */
  @Nullable String lastError(String address) {
    OutboundLink l = links.get(address);
    return l == null ? null : l.lastError();
  }

  /** The transport's counters with the envelopes and bytes now queued on all links. */
  GrpcTransport.Stats stats() {
    long queued = 0;
    long bytes = 0;
    for (OutboundLink l : links.values()) {
      queued += l.queued();
      bytes += l.queuedBytes();
    }
    return owner.counters.snapshot(queued, bytes);
  }

  /** Every link made so far. */
  List<OutboundLink> all() {
    return new ArrayList<>(links.values());
  }

  /** Stops the links not in {@code stopped}: made by a send that raced with close/crash. */
  void stopLate(List<OutboundLink> stopped) {
    for (OutboundLink l : links.values()) {
      if (!stopped.contains(l)) {
        l.shutdown(true);
        l.awaitTermination(TimeUnit.SECONDS.toNanos(1));
      }
    }
  }
}
