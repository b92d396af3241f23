package io.chatmesh.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.NodeId;
import io.chatmesh.UserId;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.wire.SendRequest;
import org.junit.jupiter.api.Test;

/** {@link RecordEncoder}: a broadcast is encoded once per thread, anything else anew. */
class RecordEncoderTest {
  private final RecordEncoder encoder = new RecordEncoder(null);

  @Test
  void reusesTheBytesForTheSameMessageFromTheSameSenderAndIncarnation() {
    SendRequest m = new SendRequest(1, "room", UserId.of("u"), "c1", "hello");
    byte[] first = encoder.encode(new Envelope(NodeId.of("n1"), 3, m));
    byte[] again = encoder.encode(new Envelope(NodeId.of("n1"), 3, m));
    assertThat(again).isSameAs(first).isEqualTo(BatchCodec.encodeRecord(new Envelope(NodeId.of("n1"), 3, m)));
  }

  @Test
  void encodesAnewWhenMessageSenderOrIncarnationDiffer() {
    SendRequest m = new SendRequest(1, "room", UserId.of("u"), "c1", "hello");
    SendRequest equalButOther = new SendRequest(1, "room", UserId.of("u"), "c1", "hello");
    byte[] first = encoder.encode(new Envelope(NodeId.of("n1"), 3, m));
    assertThat(encoder.encode(new Envelope(NodeId.of("n1"), 3, equalButOther))).isNotSameAs(first).isEqualTo(first);
    Envelope otherIncarnation = new Envelope(NodeId.of("n1"), 4, m);
    assertThat(encoder.encode(otherIncarnation)).isEqualTo(BatchCodec.encodeRecord(otherIncarnation));
    Envelope otherSender = new Envelope(NodeId.of("n2"), 3, m);
    assertThat(encoder.encode(otherSender)).isEqualTo(BatchCodec.encodeRecord(otherSender));
  }

  @Test
  void aTestEncoderReplacesTheCodec() {
    byte[] fixed = {1, 2, 3};
    RecordEncoder custom = new RecordEncoder(e -> fixed);
    assertThat(custom.encode(new Envelope(NodeId.of("n1"), 1, new SendRequest(1, "r", UserId.of("u"), "c", "t"))))
        .isSameAs(fixed);
  }
}
