package io.chatmesh.proto.compat;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.TextFormat;
import io.chatmesh.proto.v1.TransportProto;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The build-time breaking-change check: the schema compiled into this module (from the generated
 * classes' descriptors, everything reachable from the {@code NodeLink} service) against the
 * committed baseline {@value #BASELINE}. Runs in {@code mvn verify} of the proto module.
 *
 * <p>To accept the current schema as the new baseline (after a release, or after a deliberate,
 * version-bumped break; see proto/README.md):
 *
 * <pre>
 * mvn -B -q -o -pl proto verify -Dtest=SchemaBaselineTest -Dchatmesh.schema.updateBaseline=true
 * </pre>
 */
class SchemaBaselineTest {
  static final String BASELINE = "src/main/baseline/chatmesh-v1.txtpb";

  static FileDescriptorSet current() {
    return SchemaCompatibility.descriptorSet(TransportProto.getDescriptor());
  }

  static FileDescriptorSet baseline() throws IOException {
    FileDescriptorSet.Builder b = FileDescriptorSet.newBuilder();
    TextFormat.merge(Files.readString(Path.of(BASELINE), StandardCharsets.UTF_8), b);
    return b.build();
  }

  @Test
  void theSchemaHasNoBreakingChangeAgainstTheCommittedBaseline() throws IOException {
    if (Boolean.getBoolean("chatmesh.schema.updateBaseline")) {
      String header =
          "# Baseline of the chatmesh.v1 wire schema (a FileDescriptorSet in protobuf text format).\n"
              + "# Checked by SchemaBaselineTest; regenerate deliberately, see proto/README.md.\n";
      Files.writeString(Path.of(BASELINE), header + TextFormat.printer().printToString(current()), StandardCharsets.UTF_8);
    }
    List<String> breaking = SchemaCompatibility.breakingChanges(baseline(), current());
    assertThat(breaking)
        .as(
            "breaking changes against %s (see proto/README.md; fix the schema, or bump the protocol "
                + "version and update the baseline deliberately)",
            BASELINE)
        .isEmpty();
  }

  @Test
  void theBaselineCoversEveryFileOfTheSchema() throws IOException {
    List<String> baselineFiles = baseline().getFileList().stream().map(f -> f.getName()).toList();
    List<String> currentFiles = current().getFileList().stream().map(f -> f.getName()).toList();
    assertThat(baselineFiles).isNotEmpty().isSubsetOf(currentFiles);
    assertThat(baselineFiles).contains("chatmesh/v1/envelope.proto", "chatmesh/v1/transport.proto");
  }
}
