package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's usage text: picocli generates it from the options in {@link Demo}; {@code
 * demo-usage.txt} is a copy of it (checked here, so it cannot drift) that {@code demo.sh --help}
 * prints at once without building; the program prints the same, and README.md shows it unchanged.
 */
class DemoUsageTest {
  private static final Path SCRIPT = Path.of("..", "demo.sh").toAbsolutePath().normalize();

  @Test
  void usageFileIsPicocliGeneratedUsage() throws IOException {
    String generated = Demo.usage();
    if (!generated.equals(Demo.USAGE)) {
      Path fresh = Path.of("target", "demo-usage.txt");
      Files.writeString(fresh, generated);
      throw new AssertionError("examples/src/main/resources/io/chatmesh/examples/demo-usage.txt differs from the"
          + " usage picocli generates from the options in Demo.java. Regenerate it with\n"
          + "  cp examples/target/demo-usage.txt examples/src/main/resources/io/chatmesh/examples/demo-usage.txt\n"
          + "(or: ./demo.sh --help after a build, minus its own file) and copy it into README.md (\"The demo\").\n"
          + "Generated:\n" + generated);
    }
  }

  @Test
  void readmeShowsTheUsageTextAsItIs() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"));
    assertThat(readme).as("README.md's copy of demo-usage.txt").contains(Demo.USAGE);
  }

  @Test
  void shortAndLongHelpPrintTheUsageFile() {
    for (String flag : new String[] {"-h", "--help"}) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int code = Demo.run(new String[] {"--ws-base", "18081", flag}, new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
      assertThat(code).isZero();
      assertThat(out.toString(StandardCharsets.UTF_8)).as(flag).isEqualTo(Demo.USAGE);
    }
  }

  @Test
  void scriptPrintsTheProgramsUsageWithoutBuildingOrStartingJava(@TempDir Path dir) throws Exception {
    Path marker = dir.resolve("ran");
    for (String tool : new String[] {"mvn", "java"}) {
      Path fake = dir.resolve(tool);
      Files.writeString(fake, "#!/bin/sh\necho " + tool + " >> '" + marker + "'\nexit 1\n");
      Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    for (String flag : new String[] {"--help", "-h"}) {
      ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString(), "--ws-base", "18081", flag);
      pb.environment().put("PATH", dir + ":" + System.getenv("PATH"));
      pb.redirectErrorStream(true);
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("demo.sh " + flag + " finished").isTrue();
      assertThat(p.exitValue()).as("exit code of demo.sh " + flag + ", output: " + out).isZero();
      assertThat(out).isEqualTo(Demo.USAGE);
    }
    assertThat(ran(marker)).as("mvn or java started by demo.sh --help").isEmpty();
  }

  private static String ran(Path marker) throws IOException {
    return Files.exists(marker) ? Files.readString(marker) : "";
  }
}
