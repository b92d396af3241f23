package io.chatmesh.transport.grpc;

import io.chatmesh.spi.transport.Envelope;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Turns an outgoing {@link Envelope} into the EnvelopeBatch record its destination's queue holds
 * ({@link BatchCodec#encodeRecord}), encoding a broadcast once: the engine sends the same message
 * to several peers in a row (a new {@link Envelope} each time, the same message object), so each
 * thread remembers the last envelope it encoded and reuses its bytes when the next one carries the
 * same message, sender and incarnation. The bytes are never modified once queued, so the peers'
 * queues can share them. A test encoder, if set, replaces all of this.
 *
 * <p>Thread-safe: the remembered envelope is per thread.
 */
final class RecordEncoder {
  /** The last envelope this thread encoded, and its record. */
  private static final ThreadLocal<LastEncoded> LAST_ENCODED = new ThreadLocal<>();

  private final @Nullable Function<Envelope, byte[]> testEncoder;

  /**
   * An encoder.
   *
   * @param testEncoder encodes instead of {@link BatchCodec#encodeRecord} (tests), or null
   */
  RecordEncoder(@Nullable Function<Envelope, byte[]> testEncoder) {
    this.testEncoder = testEncoder;
  }

  /**
   * The envelope's record.
   *
   * @throws RuntimeException if it cannot be encoded (see {@link BatchCodec#encodeRecord})
   */
  byte[] encode(Envelope envelope) {
    Function<Envelope, byte[]> enc = testEncoder;
    return enc == null ? encodeOnce(envelope) : enc.apply(envelope);
  }

  private record LastEncoded(Envelope envelope, byte[] record) {
    boolean sameAs(Envelope e) {
      return envelope.message() == e.message()
          && envelope.incarnation() == e.incarnation()
          && envelope.from().equals(e.from());
    }
  }

  private static byte[] encodeOnce(Envelope envelope) {
    LastEncoded last = LAST_ENCODED.get();
    if (last != null && last.sameAs(envelope)) {
      return last.record();
    }
    byte[] record = BatchCodec.encodeRecord(envelope);
    LAST_ENCODED.set(new LastEncoded(envelope, record));
    return record;
  }
}
