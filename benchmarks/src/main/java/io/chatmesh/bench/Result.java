package io.chatmesh.bench;

/**
 * The outcome of one (system, workload) run. Rates are delivered messages per second (publishes
 * times subscribers); latencies in microseconds; NaN where a phase did not run. Immutable.
 */
public record Result(
    String system,
    Workload workload,
    double closedDeliveredPerSec,
    double closedCpuSecondsPerMillion,
    double saturationDeliveredPerSec,
    double p50Micros,
    double p99Micros,
    double p999Micros,
    double cpuSecondsPerMillion,
    String check) {

  static final String PREFIX = "RESULT\t";

  /** One machine-readable line (tab-separated) that the parent process parses from a child's output. */
  String toLine() {
    return PREFIX
        + String.join(
            "\t",
            system,
            Integer.toString(workload.rooms()),
            Integer.toString(workload.subscribers()),
            Integer.toString(workload.payloadBytes()),
            Double.toString(closedDeliveredPerSec),
            Double.toString(closedCpuSecondsPerMillion),
            Double.toString(saturationDeliveredPerSec),
            Double.toString(p50Micros),
            Double.toString(p99Micros),
            Double.toString(p999Micros),
            Double.toString(cpuSecondsPerMillion),
            check);
  }

  static Result parse(String line) {
    String[] f = line.substring(PREFIX.length()).split("\t");
    return new Result(
        f[0],
        new Workload(Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3])),
        Double.parseDouble(f[4]),
        Double.parseDouble(f[5]),
        Double.parseDouble(f[6]),
        Double.parseDouble(f[7]),
        Double.parseDouble(f[8]),
        Double.parseDouble(f[9]),
        Double.parseDouble(f[10]),
        f[11]);
  }
}
