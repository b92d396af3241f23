package io.chatmesh.transport.grpc;

import io.chatmesh.ChatException;
import io.chatmesh.spi.transport.PeerText;
import io.chatmesh.proto.v1.TransportProto;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.spi.transport.Transport;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import java.net.SocketAddress;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves inbound {@code NodeLink/Link} streams: agrees a protocol version with the caller (the
 * highest in both ranges, or a refusal naming both), accepts, then decodes each batch and hands its
 * envelopes to the receiver in order. gRPC calls the listener of one stream serially, so the
 * receiver sees one envelope at a time per inbound link. Envelopes with a body type this build
 * does not know are skipped and counted. Bad input (malformed envelope, oversized message) closes
 * only that stream, logged with the peer. Thread-safe.
 */
final class InboundLinkHandler
    implements ServerCallHandler<LinkMethod.Batch, TransportProto.LinkEvent> {
  private static final Logger log = LoggerFactory.getLogger(InboundLinkHandler.class);

  private final GrpcTransport owner;
  /** Per transport: repeated complaints about a peer are logged once per interval. */
  private final PeerText.Limited refusals = new PeerText.Limited(log, 10_000);

  InboundLinkHandler(GrpcTransport owner) {
    this.owner = owner;
  }

  @Override
  public ServerCall.Listener<LinkMethod.Batch> startCall(
      ServerCall<LinkMethod.Batch, TransportProto.LinkEvent> call, Metadata headers) {
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    String claimed = headers.get(GrpcTransport.FROM_HEADER);
    String peer = ConnectionLogger.describe(claimed, remote);
    VersionRange mine = owner.settings.versions();
    VersionRange theirs = VersionRange.fromHeaders(headers);
    int agreed = theirs == null ? 0 : mine.highestCommon(theirs);
    if (agreed == 0) {
      String stated = theirs != null ? theirs.toString() : stated(headers);
      String msg =
          "incompatible chatmesh protocol: peer "
              + peer
              + " speaks protocol versions "
              + stated
              + ", this node ("
              + owner.localAddress()
              + ") speaks versions "
              + mine
              + ": no common version";
      if (owner.logLimiter.shouldLog("inbound refused " + claimed + " " + stated)) {
        log.warn("refusing inbound link: {} (logged once a minute while it lasts)", msg);
      } else {
        log.debug("refusing inbound link again: {}", msg);
      }
      owner.counters.inboundStreamsRejected.incrementAndGet();
      Metadata trailers = new Metadata();
      trailers.put(GrpcTransport.VERSIONS_HEADER, mine.header());
      trailers.put(GrpcTransport.VERSION_HEADER, Integer.toString(mine.max()));
      call.close(Status.FAILED_PRECONDITION.withDescription(msg), trailers);
      return new ServerCall.Listener<>() {};
    }
    PeerIdentity identity = PeerIdentity.of(call.getAttributes(), owner.tlsEnabled(), peer, refusals);
    if (identity == null) {
      String msg = "peer " + peer + " presented no certificate naming exactly one chatmesh node (" + GrpcTls.NODE_URI_PREFIX + "<id>)";
      refusals.warn("identity/" + ConnectionLogger.host(remote), "refusing inbound link: " + msg);
      owner.counters.inboundStreamsRejected.incrementAndGet();
      call.close(Status.UNAUTHENTICATED.withDescription(msg), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    if (!owner.running()) {
      call.close(Status.UNAVAILABLE.withDescription("node " + owner.localAddress() + " is shutting down"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Metadata responseHeaders = new Metadata();
    responseHeaders.put(GrpcTransport.VERSION_HEADER, Integer.toString(agreed));
    call.sendHeaders(responseHeaders);
    call.sendMessage(
        TransportProto.LinkEvent.newBuilder()
            .setAccepted(TransportProto.LinkAccepted.newBuilder().setProtocolVersion(agreed))
            .build());
    call.request(1);
    log.debug("inbound link from {} accepted, protocol version {} (theirs {}, mine {})", peer, agreed, theirs, mine);
    return new Inbound(call, peer, identity);
  }

  /** What a caller without a usable range sent, for the refusal message. */
  private static String stated(Metadata headers) {
    String range = headers.get(GrpcTransport.VERSIONS_HEADER);
    String single = headers.get(GrpcTransport.VERSION_HEADER);
    if (range == null && single == null) {
      return "(none sent)";
    }
    return "'" + (range != null ? range : single) + "' (unreadable)";
  }

  /** Counts a skipped envelope of an unknown body type; debug-logs each type once a minute. */
  private void unknownBody(int field, String from, String peer) {
    owner.counters.unknownMessagesSkipped.incrementAndGet();
    if (log.isDebugEnabled() && owner.logLimiter.shouldLog("unknown body " + field)) {
      log.debug(
          "skipping envelopes with an unknown body type (Envelope field {}), first from node {} ({}); a newer peer's"
              + " message, counted in stats().unknownMessagesSkipped (logged once a minute per type)",
          field,
          from,
          peer);
    }
  }

  private final class Inbound extends ServerCall.Listener<LinkMethod.Batch> {
    private final ServerCall<LinkMethod.Batch, TransportProto.LinkEvent> call;
    private final String peer;
    private final PeerIdentity identity;
    private final BatchCodec.Decoder decoder;
    private boolean closed;
    private @Nullable String node;

    Inbound(ServerCall<LinkMethod.Batch, TransportProto.LinkEvent> call, String peer, PeerIdentity identity) {
      this.call = call;
      this.peer = peer;
      this.decoder = new BatchCodec.Decoder((field, from) -> unknownBody(field, from, peer));
      this.identity = identity;
    }

    @Override
    public void onMessage(LinkMethod.Batch batch) {
      if (closed) {
        return;
      }
      List<Envelope> decoded;
      try {
        byte[] bytes = batch.bytes();
        decoded = decoder.decode(bytes, 0, bytes.length);
      } catch (ChatException e) {
        closed = true;
        owner.counters.inboundStreamsRejected.incrementAndGet();
        refusals.warn("malformed/" + peer, "closing inbound link from " + peer + nodeSuffix() + ": " + PeerText.safe(e.detail()));
        call.close(Status.INVALID_ARGUMENT.withDescription(e.detail()), new Metadata());
        return;
      }
      Transport.Receiver r = owner.receiver();
      for (Envelope e : decoded) {
        if (!owner.running() || r == null) {
          return; // closed or crashed: nothing is delivered any more
        }
        if (!identity.admits(e)) {
          continue; // not the node its certificate names (logged)
        }
        node = e.from().value();
        try {
          r.receive(e);
        } catch (RuntimeException ex) {
          log.error("receiver failed on {} from {}", e.message().getClass().getSimpleName(), peer, ex);
        }
        owner.counters.envelopesReceived.incrementAndGet();
      }
      call.request(1);
    }

    @Override
    public void onHalfClose() {
      if (!closed) {
        closed = true;
        log.debug("inbound link from {}{} ended by the peer", peer, nodeSuffix());
        call.close(Status.OK, new Metadata());
      }
    }

    @Override
    public void onCancel() {
      if (closed) {
        return;
      }
      closed = true;
      // an oversized message also ends here; ConnectionLogger's tracer logs that one with its status
      if (owner.running()) {
        log.info("inbound link from {}{} cancelled", peer, nodeSuffix());
      }
    }

    private String nodeSuffix() {
      String n = node;
      return n == null ? "" : " (node " + n + ")";
    }
  }
}
