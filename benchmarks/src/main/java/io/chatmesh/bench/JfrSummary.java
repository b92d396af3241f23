package io.chatmesh.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a JFR recording's CPU samples: the hottest methods by self time, the hottest by total
 * (inclusive) time, the threads, and allocation by class. Stateless; thread-safe.
 */
public final class JfrSummary {
  private JfrSummary() {}

  public static void print(Path file, PrintStream out) throws Exception {
    Map<String, Long> self = new HashMap<>();
    Map<String, Long> total = new HashMap<>();
    Map<String, Long> threads = new HashMap<>();
    Map<String, Long> alloc = new HashMap<>();
    Map<String, Long> allocSite = new HashMap<>();
    long samples = 0;
    long allocTotal = 0;
    long gcPauseNanos = 0;
    int gcs = 0;
    try (RecordingFile rf = new RecordingFile(file)) {
      while (rf.hasMoreEvents()) {
        RecordedEvent e = rf.readEvent();
        String type = e.getEventType().getName();
        if (type.equals("jdk.ExecutionSample")) {
          RecordedStackTrace st = e.getStackTrace();
          if (st == null || st.getFrames().isEmpty()) {
            continue;
          }
          samples++;
          List<RecordedFrame> frames = st.getFrames();
          self.merge(frame(frames.get(0)), 1L, Long::sum);
          Set<String> seen = new HashSet<>();
          for (RecordedFrame f : frames) {
            String n = frame(f);
            if (seen.add(n)) {
              total.merge(n, 1L, Long::sum);
            }
          }
          var t = e.getThread("sampledThread");
          threads.merge(t == null ? "?" : pool(t.getJavaName()), 1L, Long::sum);
        } else if (type.equals("jdk.ObjectAllocationSample")) {
          long w = e.getLong("weight");
          allocTotal += w;
          alloc.merge(e.getClass("objectClass").getName(), w, Long::sum);
          RecordedStackTrace st = e.getStackTrace();
          if (st != null) {
            for (RecordedFrame f : st.getFrames()) {
              String n = frame(f);
              if (n.startsWith("io.chatmesh") && !n.startsWith("io.chatmesh.bench")) {
                allocSite.merge(n, w, Long::sum);
                break;
              }
            }
          }
        } else if (type.equals("jdk.GarbageCollection")) {
          gcs++;
          gcPauseNanos += e.getDuration("sumOfPauses").toNanos();
        }
      }
    }
    out.printf(Locale.ROOT, "JFR %s: %d CPU samples, %d GCs with %.0f ms of pauses, %.0f MB allocated (sampled estimate)%n",
        file.getFileName(), samples, gcs, gcPauseNanos / 1e6, allocTotal / 1e6);
    top(out, "threads (share of CPU samples)", threads, samples, 12);
    top(out, "hottest methods, self time", self, samples, 25);
    Map<String, Long> ours = new HashMap<>();
    total.forEach((k, v) -> {
      if (k.startsWith("io.chatmesh") && !k.startsWith("io.chatmesh.bench")) {
        ours.put(k, v);
      }
    });
    top(out, "chatmesh methods, total time (inclusive)", ours, samples, 25);
    top(out, "all methods, total time (inclusive)", total, samples, 25);
    top(out, "allocation by class (share of bytes)", alloc, allocTotal, 12);
    top(out, "allocation by first chatmesh frame (share of bytes)", allocSite, allocTotal, 12);
  }

  private static String frame(RecordedFrame f) {
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  private static String pool(String thread) {
    return thread == null ? "?" : thread.replaceAll("[-#]?\\d+", "-N");
  }

  private static void top(PrintStream out, String title, Map<String, Long> m, long whole, int n) {
    out.println("-- " + title);
    m.entrySet().stream()
        .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
        .limit(n)
        .forEach(e -> out.printf(Locale.ROOT, "  %5.1f%%  %s%n", whole == 0 ? 0 : 100.0 * e.getValue() / whole, e.getKey()));
  }
}
