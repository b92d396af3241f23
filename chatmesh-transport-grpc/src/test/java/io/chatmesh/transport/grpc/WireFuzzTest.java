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
import io.chatmesh.testkit.Fuzz;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes what a peer's bytes meet first (issue 11): {@link BatchCodec.Decoder} (the hot path) and
 * {@link WireCodec#decode} (every other body, after protobuf parsing), with random bytes and with
 * valid batches of every known message mutated. Property: the only failure is a {@link
 * ChatException} BAD_REQUEST with a message (protobuf's own parse error for the generated path);
 * no other exception escapes, and a batch decodes to at most as many envelopes as it has bytes. 2,000
 * tries per property by default; {@code -Dchatmesh.fuzz.tries=100000} for the full run ({@link Fuzz}).
 */
class WireFuzzTest {
  private static final List<WireMessage> SAMPLES = BatchCodecTest.everyKnownSample().toList();

  static byte[] randomBytes(Random r) {
    return Fuzz.bytes(r, 0, 400);
  }

  /** One to four records of known messages, then one to eight mutations. */
  static byte[] mutatedBatches(Random r) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int n = 1 + r.nextInt(4); n > 0; n--) {
      out.writeBytes(BatchCodec.encodeRecord(new Envelope(NodeId.of("n2"), 7, Fuzz.pick(r, SAMPLES))));
    }
    return Fuzz.mutate(out.toByteArray(), r, 8);
  }

  @Test
  void batchDecoderOnRandomBytes() {
    Fuzz.forAll(WireFuzzTest::randomBytes, WireFuzzTest::decodeBatch);
  }

  @Test
  void batchDecoderOnMutatedBatches() {
    Fuzz.forAll(WireFuzzTest::mutatedBatches, WireFuzzTest::decodeBatch);
  }

  @Test
  void wireCodecOnRandomBytes() {
    Fuzz.forAll(WireFuzzTest::randomBytes, WireFuzzTest::decodeGenerated);
  }

  @Test
  void wireCodecOnMutatedBatches() {
    Fuzz.forAll(WireFuzzTest::mutatedBatches, WireFuzzTest::decodeGenerated);
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
