package io.chatmesh.proto.compat;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.OneofDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The checker itself, on small hand-made schemas broken on purpose. */
class SchemaCompatibilityTest {
  private static FieldDescriptorProto field(String name, int number, FieldDescriptorProto.Type type) {
    return FieldDescriptorProto.newBuilder()
        .setName(name)
        .setNumber(number)
        .setType(type)
        .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL)
        .build();
  }

  /** package t: message Env { string from = 1; oneof body { Ping ping = 10; } int64 seq = 2; } enum Kind {..} service S. */
  private static FileDescriptorProto.Builder base() {
    DescriptorProto ping = DescriptorProto.newBuilder().setName("Ping").addField(field("at", 1, FieldDescriptorProto.Type.TYPE_INT64)).build();
    DescriptorProto env =
        DescriptorProto.newBuilder()
            .setName("Env")
            .addField(field("from", 1, FieldDescriptorProto.Type.TYPE_STRING))
            .addField(field("seq", 2, FieldDescriptorProto.Type.TYPE_INT64))
            .addField(
                field("ping", 10, FieldDescriptorProto.Type.TYPE_MESSAGE).toBuilder().setTypeName(".t.Ping").setOneofIndex(0))
            .addOneofDecl(OneofDescriptorProto.newBuilder().setName("body"))
            .addReservedRange(DescriptorProto.ReservedRange.newBuilder().setStart(5).setEnd(6))
            .addReservedName("old")
            .build();
    EnumDescriptorProto kind =
        EnumDescriptorProto.newBuilder()
            .setName("Kind")
            .addValue(EnumValueDescriptorProto.newBuilder().setName("KIND_UNSPECIFIED").setNumber(0))
            .addValue(EnumValueDescriptorProto.newBuilder().setName("KIND_A").setNumber(1))
            .build();
    ServiceDescriptorProto s =
        ServiceDescriptorProto.newBuilder()
            .setName("S")
            .addMethod(MethodDescriptorProto.newBuilder().setName("Link").setInputType(".t.Env").setOutputType(".t.Env")
                .setClientStreaming(true).setServerStreaming(true))
            .build();
    return FileDescriptorProto.newBuilder()
        .setName("t/t.proto")
        .setPackage("t")
        .setSyntax("proto3")
        .addMessageType(env)
        .addMessageType(ping)
        .addEnumType(kind)
        .addService(s);
  }

  private static FileDescriptorSet set(FileDescriptorProto.Builder f) {
    return FileDescriptorSet.newBuilder().addFile(f).build();
  }

  private static java.util.List<String> check(UnaryOperator<FileDescriptorProto.Builder> change) {
    return SchemaCompatibility.breakingChanges(set(base()), set(change.apply(base())));
  }

  private static DescriptorProto.Builder env(FileDescriptorProto.Builder f) {
    return f.getMessageTypeBuilder(0);
  }

  @Test
  void anIdenticalSchemaHasNoBreakingChange() {
    assertThat(check(f -> f)).isEmpty();
  }

  @Test
  void addingFieldsMessagesEnumValuesOneofMembersAndMethodsIsAllowed() {
    assertThat(
            check(
                f -> {
                  env(f).addField(field("extra", 3, FieldDescriptorProto.Type.TYPE_STRING));
                  env(f).addField(field("pong", 11, FieldDescriptorProto.Type.TYPE_MESSAGE).toBuilder()
                      .setTypeName(".t.Ping").setOneofIndex(0));
                  f.addMessageType(DescriptorProto.newBuilder().setName("New"));
                  f.getEnumTypeBuilder(0).addValue(EnumValueDescriptorProto.newBuilder().setName("KIND_B").setNumber(2));
                  f.getServiceBuilder(0).addMethod(MethodDescriptorProto.newBuilder().setName("Other")
                      .setInputType(".t.Env").setOutputType(".t.Env"));
                  return f;
                }))
        .isEmpty();
  }

  @Test
  void removingAFieldAndReservingItsNumberAndNameIsAllowed() {
    assertThat(
            check(
                f -> {
                  env(f).removeField(1);
                  env(f).addReservedRange(DescriptorProto.ReservedRange.newBuilder().setStart(2).setEnd(3)).addReservedName("seq");
                  return f;
                }))
        .isEmpty();
  }

  @Test
  void aFieldRemovedWithoutReservationIsNamedWithTheFix() {
    assertThat(check(f -> { env(f).removeField(1); return f; }))
        .containsExactly("field .t.Env.seq (number 2) was removed without reserving it: add `reserved 2; reserved \"seq\";` to .t.Env");
    // reserving only the number is not enough: the name could come back with another meaning
    assertThat(
            check(
                f -> {
                  env(f).removeField(1).addReservedRange(DescriptorProto.ReservedRange.newBuilder().setStart(2).setEnd(3));
                  return f;
                }))
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .contains(".t.Env.seq (number 2) was removed without reserving it");
  }

  @Test
  void aRenumberedFieldIsReported() {
    assertThat(check(f -> { env(f).getFieldBuilder(1).setNumber(3); return f; }))
        .containsExactly("field .t.Env.seq (number 2) was renumbered to 3");
  }

  @Test
  void aChangedTypeOrLabelIsReported() {
    assertThat(check(f -> { env(f).getFieldBuilder(1).setType(FieldDescriptorProto.Type.TYPE_STRING); return f; }))
        .containsExactly("field .t.Env.seq (number 2) changed type from TYPE_INT64 to TYPE_STRING");
    assertThat(check(f -> { env(f).getFieldBuilder(2).setTypeName(".t.Env"); return f; }))
        .containsExactly("field .t.Env.ping (number 10) changed type from TYPE_MESSAGE .t.Ping to TYPE_MESSAGE .t.Env");
    assertThat(check(f -> { env(f).getFieldBuilder(1).setLabel(FieldDescriptorProto.Label.LABEL_REPEATED); return f; }))
        .containsExactly("field .t.Env.seq (number 2) changed label from LABEL_OPTIONAL to LABEL_REPEATED");
  }

  @Test
  void aFieldMovedOutOfOrIntoAOneofIsReported() {
    assertThat(check(f -> { env(f).getFieldBuilder(2).clearOneofIndex(); return f; }))
        .containsExactly("field .t.Env.ping (number 10) moved from oneof body to no oneof");
    assertThat(check(f -> { env(f).getFieldBuilder(1).setOneofIndex(0); return f; }))
        .containsExactly("field .t.Env.seq (number 2) moved from no oneof to oneof body");
  }

  @Test
  void aRenamedFieldIsReported() {
    assertThat(check(f -> { env(f).getFieldBuilder(1).setName("sequence"); return f; }))
        .containsExactly("field .t.Env.seq (number 2) was renamed to sequence");
  }

  @Test
  void aReservationDroppedIsReported() {
    assertThat(check(f -> { env(f).clearReservedRange().clearReservedName(); return f; }))
        .containsExactly(
            "message .t.Env: reserved number 5 is no longer reserved (never reuse a number)",
            "message .t.Env: reserved name \"old\" is no longer reserved (never reuse a name)");
  }

  @Test
  void removedMessagesEnumsEnumValuesAndMethodsAreReported() {
    assertThat(check(f -> f.removeMessageType(1)))
        .containsExactly("message .t.Ping was removed (keep it; stop using it instead)");
    assertThat(check(f -> { f.getEnumTypeBuilder(0).removeValue(1); return f; }))
        .containsExactly("enum value .t.Kind.KIND_A (number 1) was removed without reserving its number and name");
    assertThat(
            check(
                f -> {
                  f.getEnumTypeBuilder(0)
                      .removeValue(1)
                      .addReservedRange(EnumDescriptorProto.EnumReservedRange.newBuilder().setStart(1).setEnd(1))
                      .addReservedName("KIND_A");
                  return f;
                }))
        .isEmpty();
    assertThat(check(f -> f.removeEnumType(0))).containsExactly("enum .t.Kind was removed (keep it; stop using it instead)");
    assertThat(check(f -> { f.getServiceBuilder(0).removeMethod(0); return f; }))
        .containsExactly("method .t.S/Link was removed");
    assertThat(check(f -> { f.getServiceBuilder(0).getMethodBuilder(0).setServerStreaming(false); return f; }))
        .containsExactly("method .t.S/Link changed streaming");
  }

  @Test
  void theRealBaselineBrokenOnPurposeFailsNamingTheField() throws Exception {
    FileDescriptorSet baseline = SchemaBaselineTest.baseline();
    FileDescriptorSet.Builder broken = baseline.toBuilder();
    for (FileDescriptorProto.Builder f : broken.getFileBuilderList()) {
      if (f.getName().equals("chatmesh/v1/envelope.proto")) {
        DescriptorProto.Builder envelope = f.getMessageTypeBuilderList().stream()
            .filter(m -> m.getName().equals("Envelope")).findFirst().orElseThrow();
        for (FieldDescriptorProto.Builder field : envelope.getFieldBuilderList()) {
          if (field.getName().equals("incarnation")) {
            field.setType(FieldDescriptorProto.Type.TYPE_INT32);
          }
        }
      }
    }
    assertThat(SchemaCompatibility.breakingChanges(baseline, broken.build()))
        .containsExactly("field .chatmesh.v1.Envelope.incarnation (number 2) changed type from TYPE_INT64 to TYPE_INT32");
  }
}
