package io.chatmesh.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** Prints {@link FailoverBench}'s markdown tables. Stateless. */
final class FailoverReport {
  private FailoverReport() {}

  static void printA(List<FailoverThroughput.Outcome> all, FailoverBench.Options o, PrintStream out) {
    String title = "## Failover, part (a): one room administered by n0, 3 nodes over gRPC on 127.0.0.1, 3 senders (one per node),"
        + " payload " + o.payload() + " chars";
    if (o.repeat() > 1) {
      out.println();
      out.println(title + "; every run (" + o.repeat() + " per configuration, in alternating order)");
      table(all, o, out);
      title += "; per configuration the run with the highest closed-loop rate";
    }
    out.println();
    out.println(title + "; ratios vs the first configuration");
    table(best(all), o, out);
  }

  /** Per configuration (first-seen order), the run with the highest closed-loop rate. */
  static List<FailoverThroughput.Outcome> best(List<FailoverThroughput.Outcome> all) {
    java.util.Map<String, FailoverThroughput.Outcome> best = new java.util.LinkedHashMap<>();
    for (FailoverThroughput.Outcome r : all) {
      best.merge(r.config(), r, (a, b) -> nz(b.closedPerSec()) > nz(a.closedPerSec()) ? b : a);
    }
    return new ArrayList<>(best.values());
  }

  private static double nz(double v) {
    return Double.isNaN(v) ? -1 : v;
  }

  private static void table(List<FailoverThroughput.Outcome> results, FailoverBench.Options o, PrintStream out) {
    FailoverThroughput.Outcome base = results.get(0);
    out.println();
    List<FailoverThroughput.Step> baseSteps = base.steps();
    StringBuilder head = new StringBuilder("| configuration | acked sends/s (closed loop, window " + o.window() + ") | vs " + base.config()
        + " | ack p50 / p99 (closed loop) | CPU s per M sends |");
    StringBuilder rule = new StringBuilder("|---|---:|---:|---:|---:|");
    for (int i = 0; i < baseSteps.size(); i++) {
      head.append(String.format(Locale.ROOT, " ack p50 / p99 @ %,.0f sends/s | p50 / p99 vs %s |", baseSteps.get(i).rate(), base.config()));
      rule.append("---:|---:|");
    }
    out.println(head + " failed sends | check |");
    out.println(rule + "---:|---|");
    for (FailoverThroughput.Outcome r : results) {
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %s | %s | %s | %s / %s | %s |", r.config(), num(r.closedPerSec()),
          ratio(r.closedPerSec(), base.closedPerSec()), lat(r.closedP50()), lat(r.closedP99()), cpu(r.cpuPerMillion())));
      for (int i = 0; i < baseSteps.size(); i++) {
        if (i < r.steps().size()) {
          FailoverThroughput.Step st = r.steps().get(i);
          FailoverThroughput.Step bs = baseSteps.get(i);
          row.append(String.format(Locale.ROOT, " %s / %s | %s / %s |", lat(st.p50()), lat(st.p99()), ratio(st.p50(), bs.p50()),
              ratio(st.p99(), bs.p99())));
        } else {
          row.append(" - | - |");
        }
      }
      out.println(row + " " + r.failed() + " | " + r.check() + " |");
    }
    out.flush();
  }

  static void printB(List<FailoverTime.Round> rounds, FailoverBench.Options o, PrintStream out) {
    out.println();
    out.println("## Failover, part (b): failover time over " + o.rounds() + " crashes of the admin (a fresh 3-node gRPC cluster per round;"
        + " room administered by n0, members on n1 and n2 sending " + fmt(o.sendRate()) + " msgs/s each; n0 crashed after "
        + o.steadyMillis() + " ms)");
    out.println();
    out.println("Settings: Failover replicationFactor 3, acks REPLICATED, in-memory leases; " + o.failoverTiming().describe() + ".");
    out.println();
    out.println(FailoverTime.Round.header());
    rounds.forEach(r -> out.println(r.row()));
    List<FailoverTime.Round> ok = rounds.stream().filter(FailoverTime.Round::ok).toList();
    out.println();
    out.println("| from the crash to | p50 | p99 | max | rounds with a value |");
    out.println("|---|---:|---:|---:|---:|");
    stat(out, "both survivors declare n0 dead (failure detector)", ok, FailoverTime.Round::detectMs);
    stat(out, "(i) RoomUnavailable at both members", ok, FailoverTime.Round::unavailableMs);
    stat(out, "(ii) RoomAvailable naming the new admin at both members", ok, FailoverTime.Round::availableMs);
    stat(out, "(iii) first send acked by the new admin (higher epoch)", ok, FailoverTime.Round::firstAckMs);
    long before = 0, violBefore = 0, violHist = 0, histFailed = 0, histChecked = 0, violAll = 0;
    for (FailoverTime.Round r : rounds) {
      before += r.ackedBeforeCrash();
      violBefore += r.lostOrDupBeforeCrash();
      violAll += r.lostOrDupAll();
      if (r.historyLostOrDup() == FailoverTime.NOT_CHECKED) {
        continue;
      } else if (r.historyLostOrDup() < 0) {
        histFailed++;
      } else {
        histChecked++;
        violHist += r.historyLostOrDup();
      }
    }
    out.println();
    out.println(String.format(Locale.ROOT, "Rounds: %d run, %d completed, %d failed. Percentiles are nearest-rank over the completed rounds"
        + " (with 20 values, p99 is the maximum).", rounds.size(), ok.size(), rounds.size() - ok.size()));
    out.println(String.format(Locale.ROOT, "Exactly-once check: %,d sends acked before the crash; not delivered exactly once to a surviving"
        + " member: %d (send x member pairs); not exactly once in the new admin's history: %d (checked in %d rounds%s); over every acked send"
        + " (also those acked after the crash): %d pairs.", before, violBefore, violHist, histChecked,
        histFailed == 0 ? "" : ", unreadable in " + histFailed, violAll));
    out.flush();
  }

  private static void stat(PrintStream out, String what, List<FailoverTime.Round> rounds, ToDoubleFunction<FailoverTime.Round> f) {
    List<Double> v = new ArrayList<>();
    for (FailoverTime.Round r : rounds) {
      double x = f.applyAsDouble(r);
      if (!Double.isNaN(x)) {
        v.add(x);
      }
    }
    v.sort(null);
    out.println(String.format(Locale.ROOT, "| %s | %s | %s | %s | %d |", what, pct(v, 50), pct(v, 99), pct(v, 100), v.size()));
  }

  /** Nearest-rank percentile of sorted values, in milliseconds. */
  static String pct(List<Double> sorted, double p) {
    if (sorted.isEmpty()) {
      return "-";
    }
    int rank = (int) Math.ceil(p / 100 * sorted.size());
    return String.format(Locale.ROOT, "%.0f ms", sorted.get(Math.max(0, Math.min(sorted.size(), rank) - 1)));
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%,.0f", v);
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "-" : fmt(v);
  }

  private static String cpu(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
  }

  private static String ratio(double a, double b) {
    return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "-" : String.format(Locale.ROOT, "%.2fx", a / b);
  }

  private static String lat(double micros) {
    if (Double.isNaN(micros)) {
      return "-";
    }
    return micros >= 1000 ? String.format(Locale.ROOT, "%.2f ms", micros / 1000) : String.format(Locale.ROOT, "%.0f µs", micros);
  }
}
