package io.chatmesh.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.Failover;
import io.chatmesh.lease.InMemoryRoomLeases;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The FailoverBench command line, its result line and its percentile arithmetic; no cluster runs
 * here and nothing is timed (the figures live in BENCHMARKS.md).
 */
class FailoverBenchOptionsTest {

  @Test
  void defaultsCompareTheFourConfigurationsOverTwentyRoundsWithLegalShortTimings() {
    FailoverBench.Options o = FailoverBench.Options.parse();

    assertThat(o.part()).isEqualTo("ab");
    assertThat(o.configs()).containsExactly(FailoverCluster.Mode.NONE, FailoverCluster.Mode.RF1, FailoverCluster.Mode.RF3_REPLICATED,
        FailoverCluster.Mode.RF3_ADMIN_ONLY);
    assertThat(o.rounds()).isEqualTo(20);
    assertThat(o.childA()).isNull();
    FailoverCluster.Timing t = o.failoverTiming();
    assertThat(t.failureTimeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(t.lease()).isEqualTo(Duration.ofSeconds(2));
    assertThat(t.renew()).isEqualTo(Duration.ofMillis(500));
    assertThat(t.drift()).isEqualTo(Duration.ofMillis(200));
    // the library accepts them (lease > 2 x renew + drift), so part (b) can build its nodes
    try (InMemoryRoomLeases leases = new InMemoryRoomLeases()) {
      Failover f = Failover.builder(leases).leaseDuration(t.lease()).renewInterval(t.renew()).maxClockDrift(t.drift()).build();
      assertThat(f.leaseDuration()).isEqualTo(Duration.ofSeconds(2));
    }
  }

  @Test
  void parsesEveryKindOfOption() {
    FailoverBench.Options o = FailoverBench.Options.parse("--part", "b", "--configs", "rf1,rf3-admin-only", "--rounds", "3", "--keep-going",
        "--lease-ms", "3000", "--rates", "1000,-0.5", "--child-a", "rf1", "--in-process", "--repeat", "1");

    assertThat(o.part()).isEqualTo("b");
    assertThat(o.configs()).containsExactly(FailoverCluster.Mode.RF1, FailoverCluster.Mode.RF3_ADMIN_ONLY);
    assertThat(o.rounds()).isEqualTo(3);
    assertThat(o.keepGoing()).isTrue();
    assertThat(o.inProcess()).isTrue();
    assertThat(o.leaseMillis()).isEqualTo(3000);
    assertThat(o.rates()).containsExactly(1000.0, -0.5);
    assertThat(o.childA()).isEqualTo("rf1");
    assertThat(o.repeat()).isEqualTo(1);
  }

  @Test
  void badCommandLinesAreRefusedNamingTheProblem() {
    assertThatThrownBy(() -> FailoverBench.Options.parse("--nope", "1")).hasMessageContaining("unknown option --nope");
    assertThatThrownBy(() -> FailoverBench.Options.parse("--configs", "rf2")).hasMessageContaining("unknown failover configuration 'rf2'");
    assertThatThrownBy(() -> FailoverBench.Options.parse("--rounds")).hasMessageContaining("--rounds needs a value");
    assertThatThrownBy(() -> FailoverBench.Options.parse("--rounds", "x")).hasMessageContaining("--rounds needs a number, got 'x'");
    assertThatThrownBy(() -> FailoverBench.Options.parse("--part", "c")).hasMessageContaining("--part must be a, b or ab");
    assertThatThrownBy(() -> FailoverBench.Options.parse("--rounds", "0")).hasMessageContaining("positive");
  }

  @Test
  void aChildsResultLineSurvivesTheTripToTheParent() {
    FailoverThroughput.Outcome r = new FailoverThroughput.Outcome("rf3-replicated", 12345.5, 800, 9000, 21.5,
        List.of(new FailoverThroughput.Step(1000, 450, 7000, 9000, 12000, 0), new FailoverThroughput.Step(20000, 900, 40000, 50000, 60000, 2)),
        2, "member on n1: delivered 3 of 4 acked");

    FailoverThroughput.Outcome back = FailoverThroughput.Outcome.parse(r.toLine());

    assertThat(back).isEqualTo(r);
    assertThat(FailoverThroughput.Outcome.parse(FailoverThroughput.Outcome.error("rf1", "boom").toLine()).check()).isEqualTo("ERROR: boom");
  }

  @Test
  void percentilesAreNearestRankSoP99OfTwentyRoundsIsTheMaximum() {
    List<Double> ms = IntStream.rangeClosed(1, 20).mapToObj(i -> (double) i * 100).toList();

    assertThat(FailoverReport.pct(ms, 50)).isEqualTo("1000 ms");
    assertThat(FailoverReport.pct(ms, 99)).isEqualTo("2000 ms");
    assertThat(FailoverReport.pct(ms, 100)).isEqualTo("2000 ms");
    assertThat(FailoverReport.pct(List.of(), 50)).isEqualTo("-");
  }
}
