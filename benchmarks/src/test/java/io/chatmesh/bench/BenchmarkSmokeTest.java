package io.chatmesh.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.chatmesh.spi.transport.TransportProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs every benchmark system through every phase for well under a second each with tiny numbers
 * (2 rooms, 3 subscribers, a few hundred publishes per second) so the benchmarks cannot rot. Asserts
 * correctness only (everything delivered exactly once, in order, the same order for every subscriber
 * of a room), never speed: the real runs are not part of the build.
 */
class BenchmarkSmokeTest {

  @ParameterizedTest
  @ValueSource(strings = {"raw-grpc", "chatmesh-inmem", "chatmesh-grpc", "jgroups-seq", "hazelcast-rt", "chatmesh-websocket"})
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void runsEveryPhaseWithoutLossDuplicatesOrReordering(String system) {
    if (system.equals("chatmesh-grpc") || system.equals("chatmesh-websocket")) {
      boolean grpc = false;
      for (TransportProvider p : ServiceLoader.load(TransportProvider.class)) {
        grpc |= p.name().equals("grpc");
      }
      assumeTrue(grpc, "no 'grpc' transport provider on the class path yet");
    }
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
    Workload w = system.equals("chatmesh-websocket") ? new Workload(2, 6, 100) : new Workload(2, 3, 100);

    List<Result> results = Main.runSystem(system, List.of(w), Settings.smoke(), out);

    String text = log.toString(StandardCharsets.UTF_8);
    assertThat(results).hasSize(1);
    Result r = results.get(0);
    assertThat(r.check()).as(text).isEqualTo("OK");
    assertThat(r.closedDeliveredPerSec()).as(text).isPositive();
    assertThat(text).contains("step 300 pub/s").contains("check: OK");
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void idleWebSocketMemoryRunMeasuresEveryConnection() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);

    WsIdle.run(40, out);

    String text = log.toString(StandardCharsets.UTF_8);
    assertThat(text).as(text).contains("40 connections open on the gateway (40 ready)").contains("per idle connection: heap");
  }
}
