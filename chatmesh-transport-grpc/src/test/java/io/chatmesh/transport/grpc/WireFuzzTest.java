package io.chatmesh.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.proto.v1.EnvelopeProto;
import io.chatmesh.wire.WireMessage;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Fuzzes what a peer's bytes meet first (issue 11): {@link BatchCodec.Decoder} (the hot path) and
 * {@link WireCodec#decode} (every other body, after protobuf parsing), with random bytes and with
 * valid batches of every known message mutated. Property: the only failure is a {@link
 * ChatException} BAD_REQUEST with a message (protobuf's own parse error for the generated path);
 * no other exception escapes, and a batch decodes to at most as many envelopes as it has bytes. 2,000
 * tries per property by default; {@code -Djqwik.tries.default=100000} for the full run.
 */
class WireFuzzTest {
  private static final List<WireMessage> SAMPLES = BatchCodecTest.everyKnownSample().toList();

  @Provide
  Arbitrary<byte[]> randomBytes() {
    return Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(400);
  }

  @Provide
  Arbitrary<byte[]> mutatedBatches() {
    Arbitrary<byte[]> valid = Arbitraries.integers().between(0, SAMPLES.size() - 1).list().ofMinSize(1).ofMaxSize(4)
        .map(picks -> {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          for (int p : picks) {
            out.writeBytes(BatchCodec.encodeRecord(new Envelope(NodeId.of("n2"), 7, SAMPLES.get(p))));
          }
          return out.toByteArray();
        });
    return Combinators.combine(valid, Arbitraries.integers().between(1, 8), Arbitraries.longs())
        .as(WireFuzzTest::mutate);
  }

  static byte[] mutate(byte[] in, int mutations, long seed) {
    Random r = new Random(seed);
    byte[] b = in.clone();
    for (int i = 0; i < mutations && b.length > 0; i++) {
      int at = r.nextInt(b.length);
      switch (r.nextInt(4)) {
        case 0 -> b[at] ^= (byte) (1 << r.nextInt(8));
        case 1 -> b[at] = (byte) r.nextInt(256);
        case 2 -> b[at] = (byte) (r.nextBoolean() ? 0xff : 0x80); // varint continuation / huge lengths
        default -> b = java.util.Arrays.copyOf(b, at);
      }
    }
    return b;
  }

  @Property
  void batchDecoderOnRandomBytes(@ForAll("randomBytes") byte[] input) {
    decodeBatch(input);
  }

  @Property
  void batchDecoderOnMutatedBatches(@ForAll("mutatedBatches") byte[] input) {
    decodeBatch(input);
  }

  @Property
  void wireCodecOnRandomBytes(@ForAll("randomBytes") byte[] input) {
    decodeGenerated(input);
  }

  @Property
  void wireCodecOnMutatedBatches(@ForAll("mutatedBatches") byte[] input) {
    decodeGenerated(input);
  }

  private static void decodeBatch(byte[] input) {
    try {
      List<Envelope> out = new BatchCodec.Decoder().decode(input, 0, input.length);
      assertThat(out.size()).isLessThanOrEqualTo(input.length);
    } catch (ChatException e) {
      assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
      assertThat(e.detail()).isNotBlank();
    }
  }

  private static void decodeGenerated(byte[] input) {
    EnvelopeProto.EnvelopeBatch batch;
    try {
      batch = EnvelopeProto.EnvelopeBatch.parseFrom(input);
    } catch (InvalidProtocolBufferException e) {
      return; // refused by protobuf itself, with its message
    }
    for (EnvelopeProto.Envelope p : batch.getEnvelopesList()) {
      try {
        WireCodec.decode(p);
      } catch (ChatException e) {
        assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(e.detail()).isNotBlank();
      }
    }
  }
}
