package io.chatmesh.transport.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import io.chatmesh.proto.v1.EnvelopeProto;
import io.chatmesh.spi.transport.Envelope;

/**
 * What a node built from the next schema puts on the wire, as a {@link GrpcTransport.Builder#testEncoder}:
 * the next schema adds an envelope body type ({@code Reaction reaction = 36;}, sent before every
 * envelope), a field in every message (numbers from 100: a string, a varint, a fixed64 and a
 * fixed32, so every wire type is skipped) and an envelope-level field ({@code string trace = 3;}).
 * The bytes are exactly what protoc-generated code of that schema would write: unknown fields are
 * serialised like known ones. Stateless; thread-safe.
 */
final class NextVersionWire {
  private NextVersionWire() {}

  /** The next schema's new Envelope body number. */
  static final int REACTION_FIELD = 36; // the next free envelope body number

  private static final OneofDescriptor BODY = EnvelopeProto.Envelope.getDescriptor().getOneofs().get(0);

  private static final UnknownFieldSet NEW_FIELDS =
      UnknownFieldSet.newBuilder()
          .addField(100, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8("next ✓")).build())
          .addField(101, UnknownFieldSet.Field.newBuilder().addVarint(7).build())
          .addField(102, UnknownFieldSet.Field.newBuilder().addFixed64(-2L).build())
          .addField(103, UnknownFieldSet.Field.newBuilder().addFixed32(3).build())
          .build();

  private static final UnknownFieldSet TRACE =
      UnknownFieldSet.newBuilder()
          .addField(3, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8("trace-1")).build())
          .build();

  /** Two EnvelopeBatch records: a Reaction from the same sender, then {@code e} with the new fields. */
  static byte[] encode(Envelope e) {
    try {
      EnvelopeProto.Envelope p = EnvelopeProto.EnvelopeBatch.parseFrom(BatchCodec.encodeRecord(e)).getEnvelopes(0);
      FieldDescriptor bodyField = p.getOneofFieldDescriptor(BODY);
      Message body = (Message) p.getField(bodyField);
      EnvelopeProto.Envelope next =
          p.toBuilder()
              .setField(bodyField, body.toBuilder().mergeUnknownFields(NEW_FIELDS).build())
              .mergeUnknownFields(TRACE)
              .build();
      // Reaction { string room = 1; string emoji = 2; } plus the new fields
      UnknownFieldSet reactionBody =
          UnknownFieldSet.newBuilder()
              .addField(1, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8("any-room")).build())
              .addField(2, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8("👍")).build())
              .build();
      EnvelopeProto.Envelope reaction =
          EnvelopeProto.Envelope.newBuilder()
              .setFrom(p.getFrom())
              .setIncarnation(p.getIncarnation())
              .setUnknownFields(
                  UnknownFieldSet.newBuilder()
                      .mergeFrom(TRACE)
                      .addField(REACTION_FIELD, UnknownFieldSet.Field.newBuilder().addLengthDelimited(reactionBody.toByteString()).build())
                      .build())
              .build();
      return EnvelopeProto.EnvelopeBatch.newBuilder().addEnvelopes(reaction).addEnvelopes(next).build().toByteArray();
    } catch (InvalidProtocolBufferException ex) {
      throw new IllegalStateException("BatchCodec wrote a record the generated parser cannot read", ex);
    }
  }
}
