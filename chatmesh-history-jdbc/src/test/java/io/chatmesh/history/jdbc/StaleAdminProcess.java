package io.chatmesh.history.jdbc;

import io.chatmesh.ChatException;
import io.chatmesh.UserId;
import io.chatmesh.spi.history.HistoryEntry;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The old admin of the cross-process fencing test: in its own JVM, with a shared store, appends
 * single-message entries of epoch 1 to one room (up to 8 in flight) and prints {@code ack <seq>}
 * after each append future completed, or {@code refused <seq> <detail>} when it failed; stops
 * submitting after the first refusal (or 100,000 entries), waits for what is in flight and exits.
 *
 * <p>Arguments: history URL, room.
 */
public final class StaleAdminProcess {
  private StaleAdminProcess() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String room = args[1];
    PrintStream out = System.out;
    AtomicBoolean refused = new AtomicBoolean();
    Semaphore inFlight = new Semaphore(8);
    try (JdbcHistoryStore store = JdbcHistoryStore.builder().url(url).shared(true).build()) {
      for (long seq = 1; seq <= 100_000 && !refused.get(); seq++) {
        inFlight.acquire();
        long s = seq;
        HistoryEntry e = new HistoryEntry(room, 1, s, HistoryEntry.Kind.MESSAGE, UserId.of("stale"), "m" + s, "c" + s, s);
        store.append(List.of(e))
            .whenComplete(
                (ok, err) -> {
                  synchronized (out) {
                    if (err == null) {
                      out.println("ack " + s);
                    } else {
                      refused.set(true);
                      out.println("refused " + s + " " + ChatException.from(err).detail().replace('\n', ' '));
                    }
                    out.flush();
                  }
                  inFlight.release();
                });
      }
      inFlight.acquire(8);
    }
  }
}
