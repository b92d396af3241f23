package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDir;

/**
 * Docker Compose itself reads deploy/compose.yaml: Debian's {@code docker-compose} (1.29, which
 * {@code .ci/run} installs) checks it against the Compose schema with {@code config -q}, without a
 * Docker engine. Skipped where it is missing, except under {@code CI=true}, where it must be there.
 */
@ExtendWith(ComposeSchemaTest.WhereInstalled.class)
class ComposeSchemaTest {
  static final Path DOCKER_COMPOSE = Path.of("/usr/bin/docker-compose");

  @Test
  void dockerComposeAcceptsTheFile() throws Exception {
    Result r = config(DeployYaml.DEPLOY.resolve("compose.yaml"));
    assertThat(r.exit()).as(r.output()).isZero();
  }

  /** The check can fail: a misspelled key is refused, naming it. */
  @Test
  void dockerComposeRefusesAMisspelledKey(@TempDir Path dir) throws Exception {
    String good = Files.readString(DeployYaml.DEPLOY.resolve("compose.yaml"));
    assertThat(good).contains("    hostname: n2\n");
    Path bad = dir.resolve("compose.yaml");
    Files.writeString(bad, good.replace("    hostname: n2\n", "    hostnam: n2\n"));
    Result r = config(bad);
    assertThat(r.exit()).isNotZero();
    assertThat(r.output()).contains("hostnam");
  }

  private record Result(int exit, String output) {}

  private static Result config(Path file) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(DOCKER_COMPOSE.toString(), "-f", file.toString(), "config", "-q");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("docker-compose config finished").isTrue();
    return new Result(p.exitValue(), out);
  }

  /** Runs where docker-compose is installed, and always under CI. */
  static final class WhereInstalled implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      if (Files.isExecutable(DOCKER_COMPOSE) || "true".equalsIgnoreCase(System.getenv("CI"))) {
        return ConditionEvaluationResult.enabled("docker-compose is installed, or CI=true (then it must be)");
      }
      return ConditionEvaluationResult.disabled("/usr/bin/docker-compose is missing: apt-get install -y docker-compose");
    }
  }
}
