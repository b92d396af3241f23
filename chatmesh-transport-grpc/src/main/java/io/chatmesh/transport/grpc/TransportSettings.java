package io.chatmesh.transport.grpc;

import java.time.Duration;

/**
 * The settings of one {@link GrpcTransport}, resolved from its {@link GrpcTransport.Builder} when
 * it is built, that the server, the outbound links and the inbound handler read. Each component
 * means what the builder method of the same name documents, except {@code maxBatchBytes}: the
 * configured value capped so that a batch fits the peer's {@code maxMessageSize}.
 *
 * <p>Immutable; thread-safe.
 *
 * @param maxMessageSize largest gRPC message accepted, and largest envelope sent
 * @param maxQueuedEnvelopes per-destination queue bound, in envelopes
 * @param maxQueuedBytes per-destination queue bound, in encoded bytes
 * @param maxBatchBytes target size of one outbound batch
 * @param handshakeTimeout deadline for a peer to accept a new stream
 * @param initialBackoff first reconnect delay
 * @param maxBackoff longest reconnect delay
 * @param jitter random spread of each reconnect delay, 0 to 1
 * @param closeGracePeriod how long close waits for queued envelopes
 * @param keepAliveTime HTTP/2 keepalive ping interval
 * @param versions the protocol versions this node speaks
 */
record TransportSettings(
    int maxMessageSize,
    int maxQueuedEnvelopes,
    long maxQueuedBytes,
    int maxBatchBytes,
    Duration handshakeTimeout,
    Duration initialBackoff,
    Duration maxBackoff,
    double jitter,
    Duration closeGracePeriod,
    Duration keepAliveTime,
    VersionRange versions) {}
