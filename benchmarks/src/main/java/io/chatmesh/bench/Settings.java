package io.chatmesh.bench;

import java.util.List;

/**
 * How long each phase of one (system, workload) run lasts. Immutable.
 *
 * @param warmupSeconds closed-loop warm-up, not measured
 * @param maxWarmupSeconds the warm-up goes on past {@code warmupSeconds}, a second at a time, while
 *     the JIT is still compiling, up to this long in total
 * @param closedSeconds measured closed-loop maximum-throughput run
 * @param stepSeconds each open-loop step at a fixed offered rate
 * @param halfSeconds the open-loop run at 50 % of saturation whose latency is reported
 * @param drainSeconds how long a step may take to deliver its backlog before the rest counts as lost
 * @param window closed-loop messages in flight (published, not yet delivered everywhere)
 * @param stepFractions offered rates of the steps as fractions of the closed-loop publish rate
 * @param fixedRates if non-empty, offered publish rates used instead of the fractions (smoke test)
 * @param growth factor between further steps while the last planned one still passes
 */
public record Settings(
    double warmupSeconds,
    double maxWarmupSeconds,
    double closedSeconds,
    double stepSeconds,
    double halfSeconds,
    double drainSeconds,
    int window,
    List<Double> stepFractions,
    List<Double> fixedRates,
    double growth) {

  /** Saturation criterion: p99 below this many milliseconds and zero loss. */
  public static final double SATURATION_P99_MILLIS = 50;

  static final List<Double> FRACTIONS = List.of(0.2, 0.4, 0.6, 0.75, 0.9, 1.0, 1.15, 1.3);
  static final List<Double> QUICK_FRACTIONS = List.of(0.25, 0.5, 0.75, 1.0);

  /** About a minute per system and workload (most of it warm-up until the JIT is quiet). */
  public static Settings quick() {
    return new Settings(5, 45, 2, 1.5, 2, 3, 4096, QUICK_FRACTIONS, List.of(), 1.5);
  }

  public static Settings full() {
    return new Settings(8, 60, 3, 2, 3, 3, 4096, FRACTIONS, List.of(), 1.25);
  }

  public static Settings smoke() {
    return new Settings(0.2, 0.2, 0.3, 0.3, 0.3, 5, 256, List.of(), List.of(300.0, 600.0), 1.25);
  }
}
