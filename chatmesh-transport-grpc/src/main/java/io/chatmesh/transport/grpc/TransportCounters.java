package io.chatmesh.transport.grpc;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The live counters behind {@link GrpcTransport.Stats}: the outbound links, the inbound handler and
 * the connection logger of one transport count what they send, receive, drop and refuse here;
 * {@link #snapshot} turns them into the immutable value {@link GrpcTransport#stats()} returns. Each
 * field means what the {@link GrpcTransport.Stats} component of the same name documents.
 *
 * <p>Thread-safe: every counter is an {@link AtomicLong}; a snapshot reads them one after the other,
 * so it is not atomic across counters.
 */
final class TransportCounters {
  final AtomicLong envelopesSent = new AtomicLong();
  final AtomicLong batchesSent = new AtomicLong();
  final AtomicLong envelopesReceived = new AtomicLong();
  final AtomicLong unknownMessagesSkipped = new AtomicLong();
  final AtomicLong droppedQueueFull = new AtomicLong();
  final AtomicLong droppedTooLarge = new AtomicLong();
  final AtomicLong droppedUnroutable = new AtomicLong();
  final AtomicLong droppedRejected = new AtomicLong();
  final AtomicLong droppedClosed = new AtomicLong();
  final AtomicLong inboundStreamsRejected = new AtomicLong();
  final AtomicLong linksOpened = new AtomicLong();

  /** The counters now, with the given queue totals (they live in the links). */
  GrpcTransport.Stats snapshot(long queued, long queuedBytes) {
    return new GrpcTransport.Stats(
        envelopesSent.get(),
        batchesSent.get(),
        envelopesReceived.get(),
        unknownMessagesSkipped.get(),
        droppedQueueFull.get(),
        droppedTooLarge.get(),
        droppedUnroutable.get(),
        droppedRejected.get(),
        droppedClosed.get(),
        inboundStreamsRejected.get(),
        linksOpened.get(),
        queued,
        queuedBytes);
  }
}
