package io.chatmesh.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Where the CPU of a measurement interval went, by thread group: Java threads grouped by name with
 * digits folded ({@code chatmesh-grpc-3-io-1} and {@code chatmesh-grpc-1-io-1} are one group), and
 * "jvm" for what the process used outside Java threads (GC workers, JIT compilers). Reported as
 * cores (CPU seconds per second). Not thread-safe; one interval at a time.
 */
final class ThreadCpu {
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private Map<Long, Long> startByThread = new HashMap<>();
  private Map<Long, String> names = new HashMap<>();
  private long startProcess;
  private long startNanos;

  void start() {
    startByThread = snapshot();
    startProcess = os.getProcessCpuTime();
    startNanos = System.nanoTime();
  }

  /** The groups using at least 0.05 cores since {@link #start()}, largest first. */
  String report() {
    double secs = (System.nanoTime() - startNanos) / 1e9;
    Map<Long, Long> end = snapshot();
    Map<String, Long> byGroup = new HashMap<>();
    long javaTotal = 0;
    for (var e : end.entrySet()) {
      long used = e.getValue() - startByThread.getOrDefault(e.getKey(), 0L);
      javaTotal += used;
      byGroup.merge(group(names.getOrDefault(e.getKey(), "?")), used, Long::sum);
    }
    byGroup.put("jvm(gc,jit)", Math.max(0, os.getProcessCpuTime() - startProcess - javaTotal));
    return byGroup.entrySet().stream()
        .filter(e -> e.getValue() / 1e9 / secs >= 0.05)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .map(e -> String.format(Locale.ROOT, "%s %.2f", e.getKey(), e.getValue() / 1e9 / secs))
        .collect(Collectors.joining(", ", "cores by thread: ", ""));
  }

  private Map<Long, Long> snapshot() {
    Map<Long, Long> out = new HashMap<>();
    for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info == null) {
        continue;
      }
      long cpu = threads.getThreadCpuTime(info.getThreadId());
      if (cpu >= 0) {
        out.put(info.getThreadId(), cpu);
        names.put(info.getThreadId(), info.getThreadName());
      }
    }
    return out;
  }

  static String group(String threadName) {
    return threadName.replaceAll("[0-9]+", "N");
  }
}
