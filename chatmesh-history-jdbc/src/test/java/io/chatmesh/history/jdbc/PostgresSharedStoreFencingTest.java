package io.chatmesh.history.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.chatmesh.NodeId;
import io.chatmesh.spi.history.HistoryEntry;
import io.chatmesh.spi.history.HistoryStore;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fencing at the storage on the real PostgreSQL server of {@code .ci/postgres.sh} ({@code
 * CHATMESH_PG_URL}); skipped without one, except under CI (see {@link PostgresHistoryStoreTest}).
 * Also across processes: the old admin writes from a child JVM ({@link StaleAdminProcess}).
 */
@ExtendWith(PostgresHistoryStoreTest.NeedsServer.class)
class PostgresSharedStoreFencingTest extends AbstractSharedStoreFencingTest {
  @Override
  protected String url() {
    String url = PostgresHistoryStoreTest.configuredUrl();
    if (url == null) {
      fail("CHATMESH_PG_URL is not set under CI: .ci/run must start PostgreSQL with .ci/postgres.sh");
    }
    return url;
  }

  @Override
  protected String withLockTimeout(String jdbcUrl, int millis) {
    return jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "options=-c%20lock_timeout%3D" + millis;
  }

  /**
   * The race of {@code noAppendOfAnOlderEpochCommitsOnceTheNewerSaveRoomCommitted} with the old
   * admin in another JVM: after a random number of its acks this JVM records epoch 2 and reads the
   * log; the old epoch's entries in the final log are exactly those read then, exactly those the
   * child was acked, and the child's next append was refused naming the new epoch and admin.
   */
  @Test
  void anOldAdminInAnotherProcessIsFencedBySaveRoomOfANewerEpoch(@TempDir Path dir) throws Exception {
    String r = room("process");
    NodeId n2 = node("n2");
    int ackedBeforeTakeover = 1 + ThreadLocalRandom.current().nextInt(100);
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child =
        new ProcessBuilder(java, "-cp", classpath, StaleAdminProcess.class.getName(), url(), r)
            .redirectError(new File(dir.toFile(), "child.err"))
            .start();
    List<Long> acked = new ArrayList<>();
    List<String> refused = new ArrayList<>();
    List<HistoryEntry> seenAfterSaveRoom = null;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("ack ")) {
          acked.add(Long.parseLong(line.substring(4)));
        } else if (line.startsWith("refused ")) {
          refused.add(line);
        }
        if (seenAfterSaveRoom == null && acked.size() >= ackedBeforeTakeover) {
          store.saveRoom(r, n2, 2);
          seenAfterSaveRoom = store.readAfter(r, 0, 200_000);
        }
      }
      assertThat(child.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
    } finally {
      child.destroyForcibly();
    }
    assertThat(child.exitValue()).as("child exit (see %s/child.err)", dir).isZero();
    assertThat(seenAfterSaveRoom).as("the takeover happened (see %s/child.err)", dir).isNotNull();
    List<Long> stored = store.readAfter(r, 0, 200_000).stream().map(HistoryEntry::seq).toList();
    assertThat(stored).isEqualTo(seenAfterSaveRoom.stream().map(HistoryEntry::seq).toList());
    assertThat(stored).isEqualTo(acked.stream().sorted().toList());
    assertThat(refused).isNotEmpty();
    assertThat(refused.get(0))
        .startsWith("refused " + (stored.size() + 1) + " ")
        .contains("recorded epoch 2")
        .contains(n2.value());
    System.out.printf(
        "cross-process fencing (PostgreSQL): old admin acked %d, takeover after %d acks, first refused seq %d%n",
        acked.size(), ackedBeforeTakeover, stored.size() + 1);
  }
}
