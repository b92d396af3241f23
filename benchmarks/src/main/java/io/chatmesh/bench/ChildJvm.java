package io.chatmesh.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Child JVMs of the command-line benchmarks ({@link ScaleBench}, {@link FailoverBench}): started
 * with exactly this JVM's flags, WARN logging and this class path, and ended by a watchdog after a
 * time limit (a child whose heap is exhausted may never print again). Stateless; thread-safe.
 */
final class ChildJvm {
  private ChildJvm() {}

  /** {@code java <this JVM's flags> -Dorg.slf4j...=warn -cp <this class path> <main>}; append the arguments. */
  static List<String> command(Class<?> main) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    return cmd;
  }

  /** Starts {@code cmd} (stderr merged into stdout) and destroys it if it runs longer than {@code limitSeconds}. */
  static Process start(List<String> cmd, long limitSeconds) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    Thread watchdog = new Thread(() -> {
      try {
        if (!p.waitFor(limitSeconds, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "child-jvm-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    return p;
  }
}
