package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nemesis over real processes ({@link ProcessNemesis}): 3 {@code Demo --node} JVMs, gRPC, H2
 * history, WebSocket users, {@code kill -9}, {@code SIGSTOP}/{@code SIGCONT} and restarts on a
 * seeded schedule, judged by the core nemesis {@link Checker}.
 *
 * <p>By default one seed (1, 30 steps), short enough for {@code mvn verify}. Longer:
 * {@code -Dprocnemesis.seeds=N [-Dprocnemesis.from=1] [-Dprocnemesis.steps=30]}; one seed:
 * {@code -Dprocnemesis.seed=S}. Every seed prints one line with its counts and the replay command;
 * every anomaly is printed with the seed; node logs stay in the printed directory when a seed fails;
 * {@code -Dprocnemesis.verbose=true} prints every operation and every member's stream.
 */
class ProcessNemesisTest {
  @TempDir Path tmp;

  @Test
  void seededKillsPausesAndRestartsOfRealNodesKeepTheGuarantees() throws Exception {
    int steps = Integer.getInteger("procnemesis.steps", 30);
    long from;
    int seeds;
    if (System.getProperty("procnemesis.seed") != null) {
      from = Long.getLong("procnemesis.seed");
      seeds = 1;
    } else {
      from = Long.getLong("procnemesis.from", 1L);
      seeds = Integer.getInteger("procnemesis.seeds", 1);
    }
    List<Checker.Anomaly> all = new ArrayList<>();
    Map<Checker.Kind, List<Long>> seedsByKind = new TreeMap<>();
    int[] totals = new int[5];
    for (long seed = from; seed < from + seeds; seed++) {
      String replay = "mvn -B -o -pl examples -am verify -Dtest=ProcessNemesisTest -Dsurefire.failIfNoSpecifiedTests=false"
          + " -Dchatmesh.javadoc.skip=true -Dprocnemesis.seed=" + seed + " -Dprocnemesis.steps=" + steps;
      Path dir = Files.createDirectories(tmp.resolve("seed-" + seed));
      long started = System.nanoTime();
      ProcessNemesis n = new ProcessNemesis(seed, steps, dir, replay);
      List<Checker.Anomaly> anomalies = new ArrayList<>();
      try (NodeProcesses procs = n.nodes()) {
        n.run();
      } finally {
        n.history().frozen = true;
      }
      anomalies.addAll(Checker.check(n.history()));
      anomalies.addAll(n.adminDeathAnomalies());
      if (anomalies.isEmpty()) {
        checkerSeesADeliveryRemoved(n.history());
      }
      ProcessNemesis.Counts c = n.counts();
      totals[0] += c.kills();
      totals[1] += c.pauses();
      totals[2] += c.restarts();
      totals[3] += c.sends();
      totals[4] += c.acked();
      System.out.printf("procnemesis seed=%d steps=%d: %d kill -9, %d SIGSTOP/SIGCONT, %d restarts, %d sends (%d messages acked),"
          + " %d anomalies, %d s%n  faults: %s%n  replay: %s%n", seed, steps, c.kills(), c.pauses(), c.restarts(), c.sends(), c.acked(),
          anomalies.size(), (System.nanoTime() - started) / 1_000_000_000, n.history().faults, replay);
      if (Boolean.getBoolean("procnemesis.verbose")) {
        n.history().ops.forEach(op -> System.out.println("  " + op));
        n.history().sessions.forEach(x -> System.out.println("  " + x + " " + Checker.streamSummary(x) + (x.ended() ? " ended: " + x.endedBy : "")));
      }
      if (!anomalies.isEmpty()) {
        System.out.print(Checker.summary(anomalies));
        System.out.println("  node logs: " + copyLogs(dir, seed));
        anomalies.forEach(a -> seedsByKind.computeIfAbsent(a.kind(), k -> new ArrayList<>()).add(a.seed()));
        all.addAll(anomalies);
      }
    }
    System.out.printf("procnemesis: %d seeds from %d: %d kill -9, %d SIGSTOP/SIGCONT, %d restarts, %d sends, %d messages acked;"
        + " anomalies by kind (seeds): %s%n", seeds, from, totals[0], totals[1], totals[2], totals[3], totals[4], seedsByKind);
    assertThat(totals[0] + totals[1]).as("faults injected").isPositive();
    assertThat(totals[4]).as("messages acked").isPositive();
    assertThat(all).as("anomalies").isEmpty();
  }

  /**
   * The recording is rich enough for the checker: removing one delivered message from a member's
   * recorded stream (as an engine that skipped it would) is reported as LOST or GAP.
   */
  private static void checkerSeesADeliveryRemoved(History h) {
    for (History.Session s : h.sessions) {
      for (int i = 0; i < s.events.size(); i++) {
        if (s.events.get(i) instanceof ChatMessage m && !s.ended() && m.seq() > s.join.seq && i < s.events.size() - 1) {
          s.events.remove(i);
          List<Checker.Anomaly> found = Checker.check(h);
          s.events.add(i, m);
          assertThat(found).as("anomalies with seq %d removed from %s", m.seq(), s)
              .anyMatch(a -> (a.kind() == Checker.Kind.LOST || a.kind() == Checker.Kind.GAP) && a.seqs().contains(String.valueOf(m.seq())));
          System.out.println("  self-check: seq " + m.seq() + " removed from " + s + " is reported");
          return;
        }
      }
    }
  }

  /** Keeps a failing seed's node logs outside the temporary directory. */
  private static Path copyLogs(Path dir, long seed) throws java.io.IOException {
    Path keep = Path.of("target", "procnemesis", "seed-" + seed).toAbsolutePath();
    Files.createDirectories(keep);
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".log")).toList()) {
        Files.copy(f, keep.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return keep;
  }
}
