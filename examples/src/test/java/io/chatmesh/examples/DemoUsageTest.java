package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's usage text has one source, {@code demo-usage.txt}: the program prints it, {@code
 * demo.sh --help} prints the same file at once without building, it names every option the
 * program accepts, and README.md shows it unchanged.
 */
class DemoUsageTest {
  private static final Path SCRIPT = Path.of("..", "demo.sh").toAbsolutePath().normalize();

  @Test
  void usageNamesEveryOptionTheParserAccepts() {
    for (String option : Demo.OPTIONS) {
      assertThat(Demo.USAGE).as("usage text names --" + option).contains("--" + option + " ");
    }
  }

  @Test
  void readmeShowsTheUsageTextAsItIs() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"));
    assertThat(readme).as("README.md's copy of demo-usage.txt").contains(Demo.USAGE);
  }

  @Test
  void shortAndLongHelpAreTheSameRequest() {
    assertThat(Demo.parse(new String[] {"-h"})).containsEntry("help", "true");
    assertThat(Demo.parse(new String[] {"--help"})).containsEntry("help", "true");
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
