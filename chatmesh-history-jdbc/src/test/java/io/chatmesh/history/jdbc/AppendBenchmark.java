package io.chatmesh.history.jdbc;

import io.chatmesh.UserId;
import io.chatmesh.spi.history.HistoryEntry;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A rough append benchmark, not a test: one room, one-message appends of 100-character texts,
 * {@code inFlight} appends outstanding at most (1 = wait for each commit, like a store without group
 * commit; 64 = a busy lane that keeps sending while earlier messages are being committed).
 *
 * <p>Arguments: history URL, entries, inFlight, and optionally {@code shared} (a store with the
 * shared-store fencing on: one locking read of the room's row per transaction).
 */
public final class AppendBenchmark {
  private AppendBenchmark() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    int total = Integer.parseInt(args[1]);
    int inFlight = Integer.parseInt(args[2]);
    boolean shared = args.length > 3 && args[3].equals("shared");
    String room = "bench-" + UUID.randomUUID().toString().substring(0, 8);
    String text = "x".repeat(100);
    try (JdbcHistoryStore store = JdbcHistoryStore.builder().url(url).shared(shared).build()) {
      Semaphore permits = new Semaphore(inFlight);
      CompletableFuture<Void> last = CompletableFuture.completedFuture(null);
      long start = System.nanoTime();
      for (long seq = 1; seq <= total; seq++) {
        permits.acquire();
        HistoryEntry e = new HistoryEntry(room, 1, seq, HistoryEntry.Kind.MESSAGE, UserId.of("bench"), text, "c" + seq, seq);
        last = store.append(List.of(e)).whenComplete((ok, err) -> permits.release());
      }
      last.get(60, TimeUnit.SECONDS);
      permits.acquire(inFlight);
      double seconds = (System.nanoTime() - start) / 1e9;
      JdbcHistoryStore.Stats s = store.stats();
      System.out.printf(
          "%s%s inFlight=%d: %d entries in %.2f s = %.0f entries/s, %d transactions (%.1f entries each), %d retries%n",
          url.replaceAll("\\?.*", ""), shared ? " shared" : "", inFlight, total, seconds, total / seconds, s.transactions(),
          (double) s.entriesWritten() / Math.max(1, s.transactions()), s.retries());
    }
  }
}
