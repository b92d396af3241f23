package io.chatmesh.history.jdbc;

import io.chatmesh.UserId;
import io.chatmesh.spi.history.HistoryEntry;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * The process the kill test kills: appends single-message entries to one room as fast as the store
 * takes them (up to 64 in flight, like a busy room's lane) and prints {@code ack <seq>} only after
 * the append future completed, i.e. exactly when the engine would ack the sender. Runs until killed
 * or until 200,000 entries.
 *
 * <p>Arguments: history URL, room.
 */
public final class KillTestWriter {
  private KillTestWriter() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String room = args[1];
    PrintStream out = System.out;
    JdbcHistoryStore store = JdbcHistoryStore.builder().url(url).build();
    out.println("ready");
    out.flush();
    Semaphore inFlight = new Semaphore(64);
    for (long seq = 1; seq <= 200_000; seq++) {
      inFlight.acquire();
      long s = seq;
      HistoryEntry e = new HistoryEntry(room, 1, s, HistoryEntry.Kind.MESSAGE, UserId.of("killer"), "message " + s, "c" + s, s);
      store.append(List.of(e))
          .whenComplete(
              (ok, err) -> {
                inFlight.release();
                if (err == null) {
                  synchronized (out) {
                    out.println("ack " + s);
                    out.flush();
                  }
                }
              });
    }
    store.close();
  }
}
