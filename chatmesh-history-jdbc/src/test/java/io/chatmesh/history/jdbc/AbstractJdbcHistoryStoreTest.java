package io.chatmesh.history.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.UserId;
import io.chatmesh.spi.history.HistoryEntry;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.spi.history.HistoryStore.Position;
import io.chatmesh.testkit.AbstractHistoryStoreTest;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link AbstractHistoryStoreTest} contract plus what only a JDBC store has: retries on
 * SQLSTATE 40001, group commit, the schema version, and a kill -9 of a writing process. Run by one
 * subclass per database.
 */
abstract class AbstractJdbcHistoryStoreTest extends AbstractHistoryStoreTest {

  /** The history URL (any form {@link JdbcHistoryStore.Builder#url} takes) of the shared test database. */
  protected abstract String url();

  /** The history URL the kill test's child process writes to ({@code dir} is free to use). */
  protected abstract String killTestUrl(Path dir);

  @Override
  protected HistoryStore openStore() {
    return JdbcHistoryStore.builder().url(url()).poolSize(3).build();
  }

  /** A Hikari pool on the test database, wrapped so faults can be injected. */
  private static HikariDataSource pool(String url) {
    HikariConfig cfg = new HikariConfig();
    cfg.setJdbcUrl(HistoryUrls.toJdbcUrl(url));
    cfg.setMaximumPoolSize(3);
    cfg.setConnectionTimeout(5_000);
    return new HikariDataSource(cfg);
  }

  private static SQLException serializationFailure() {
    return new SQLException("restart transaction: TransactionRetryWithProtoRefreshError (injected)", "40001");
  }

  @Test
  void aTransactionThatFailsWith40001IsRetriedAndStoredOnce() throws Exception {
    String r = room("retry");
    try (HikariDataSource pool = pool(url())) {
      FaultInjectingDataSource faults = new FaultInjectingDataSource(pool);
      try (JdbcHistoryStore s =
          JdbcHistoryStore.builder().dataSource(faults).retryBackoff(Duration.ofMillis(1), Duration.ofMillis(20)).build()) {
        AtomicInteger batches = new AtomicInteger();
        AtomicInteger commits = new AtomicInteger();
        faults.hook(
            op -> {
              // twice on the insert itself, then once at commit time (where CockroachDB usually says it)
              if (op.equals("executeBatch") && batches.incrementAndGet() <= 2) {
                throw serializationFailure();
              }
              if (op.equals("commit") && commits.incrementAndGet() == 1) {
                throw serializationFailure();
              }
            });
        s.append(entries(r, 1, 1, 5)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(s.stats().retries()).isEqualTo(3);
        assertThat(s.stats().transactions()).isEqualTo(1);
        assertThat(batches.get()).isEqualTo(4);
        assertThat(s.readAfter(r, 0, 100)).containsExactlyElementsOf(entries(r, 1, 1, 5));
      }
    }
  }

  @Test
  void a40001ThatNeverClearsFailsTheAppendAndStoresNothing() throws Exception {
    String r = room("giveup");
    try (HikariDataSource pool = pool(url())) {
      FaultInjectingDataSource faults = new FaultInjectingDataSource(pool);
      try (JdbcHistoryStore s =
          JdbcHistoryStore.builder()
              .dataSource(faults)
              .maxRetries(3)
              .retryBackoff(Duration.ofMillis(1), Duration.ofMillis(5))
              .build()) {
        AtomicInteger commits = new AtomicInteger();
        faults.hook(
            op -> {
              if (op.equals("commit")) { // after the rows were inserted: they must be rolled back
                commits.incrementAndGet();
                throw serializationFailure();
              }
            });
        CompletableFuture<Void> f = s.append(entries(r, 1, 1, 3));
        assertThatThrownBy(() -> f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOfSatisfying(
                ChatException.class,
                e -> {
                  assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
                  assertThat(e.detail()).contains("40001").contains("4 attempt(s)");
                });
        assertThat(commits.get()).isEqualTo(4);
        assertThat(s.stats().failedBatches()).isEqualTo(1);
        assertThat(s.readAfter(r, 0, 10)).isEmpty();

        faults.hook(op -> {}); // the database recovered: the retried append goes through
        s.append(entries(r, 1, 1, 3)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(s.readAfter(r, 0, 10)).containsExactlyElementsOf(entries(r, 1, 1, 3));
      }
    }
  }

  @Test
  void appendsQueuedDuringACommitShareTheNextTransaction() throws Exception {
    String r = room("group");
    int appends = 100;
    try (HikariDataSource pool = pool(url())) {
      FaultInjectingDataSource faults = new FaultInjectingDataSource(pool);
      try (JdbcHistoryStore s = JdbcHistoryStore.builder().dataSource(faults).build()) {
        CountDownLatch inFirstCommit = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger commits = new AtomicInteger();
        faults.hook(
            op -> {
              if (op.equals("commit") && commits.incrementAndGet() == 1) {
                inFirstCommit.countDown();
                try {
                  release.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            });
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        futures.add(s.append(List.of(entry(r, 1, 1))));
        assertThat(inFirstCommit.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        // the database is slow now; the caller is not held up, and nothing is acked early
        for (long seq = 2; seq <= appends; seq++) {
          futures.add(s.append(List.of(entry(r, 1, seq))));
        }
        assertThat(futures).noneMatch(CompletableFuture::isDone);
        release.countDown();
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(s.stats().transactions()).isEqualTo(2);
        assertThat(s.stats().entriesWritten()).isEqualTo(appends);
        assertThat(s.readAfter(r, 0, 1_000)).containsExactlyElementsOf(entries(r, 1, 1, appends));
      }
    }
  }

  @Test
  void aFullBacklogFailsFastInsteadOfQueueingForever() throws Exception {
    String r = room("backlog");
    try (HikariDataSource pool = pool(url())) {
      FaultInjectingDataSource faults = new FaultInjectingDataSource(pool);
      try (JdbcHistoryStore s = JdbcHistoryStore.builder().dataSource(faults).maxPendingEntries(10).build()) {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch inCommit = new CountDownLatch(1);
        faults.hook(
            op -> {
              if (op.equals("commit")) {
                inCommit.countDown();
                try {
                  release.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            });
        CompletableFuture<Void> first = s.append(entries(r, 1, 1, 6));
        assertThat(inCommit.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> second = s.append(entries(r, 1, 7, 10));
        CompletableFuture<Void> refused = s.append(entries(r, 1, 11, 11));
        assertThat(refused).isCompletedExceptionally();
        assertThatThrownBy(refused::join)
            .cause()
            .isInstanceOfSatisfying(ChatException.class, e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
              assertThat(e.detail()).contains("backlog");
            });
        release.countDown();
        CompletableFuture.allOf(first, second).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(s.lastPosition(r)).contains(new Position(1, 10));
      }
    }
  }

  @Test
  void closeWritesWhatIsQueuedFirst() throws Exception {
    String r = room("drain");
    JdbcHistoryStore s = JdbcHistoryStore.builder().url(url()).build();
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    for (long seq = 1; seq <= 200; seq++) {
      futures.add(s.append(List.of(entry(r, 1, seq))));
    }
    s.close();
    assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    assertThat(store.lastPosition(r)).contains(new Position(1, 200));
  }

  /**
   * The kind column keeps the texts schema version 1 always stored, whatever the enums are called:
   * rows written before the history SPI had its own entry type read back as the same kinds, and a
   * text this version does not know is reported, not guessed.
   */
  @Test
  void theKindColumnKeepsItsMeaningForExistingDatabases() throws Exception {
    String r = room("kinds");
    UserId bob = UserId.of("bob");
    List<String> texts = List.of("MESSAGE", "JOINED", "LEFT", "NODE_FAILED", "SETTINGS", "INVITED", "UNINVITED");
    List<HistoryEntry.Kind> kinds =
        List.of(HistoryEntry.Kind.MESSAGE, HistoryEntry.Kind.JOINED, HistoryEntry.Kind.LEFT, HistoryEntry.Kind.NODE_FAILED,
            HistoryEntry.Kind.SETTINGS, HistoryEntry.Kind.INVITED, HistoryEntry.Kind.UNINVITED);
    try (HikariDataSource pool = pool(url());
        Connection c = pool.getConnection()) {
      // as an earlier version wrote them (and this one: the kinds it added): seq 1-7 straight into the table
      try (PreparedStatement ps = c.prepareStatement(Sql.INSERT_EVENT)) {
        for (int i = 0; i < texts.size(); i++) {
          ps.setString(1, r);
          ps.setLong(2, 1);
          ps.setLong(3, i + 1);
          ps.setString(4, texts.get(i));
          ps.setString(5, "bob");
          ps.setString(6, "");
          ps.setString(7, null);
          ps.setLong(8, 7);
          ps.executeUpdate();
        }
      }
      assertThat(store.readAfter(r, 0, 10)).extracting(HistoryEntry::kind).containsExactlyElementsOf(kinds);
      // written by this version: seq 8-14, one of each kind, stored with the same texts
      List<HistoryEntry> written = new ArrayList<>();
      for (int i = 0; i < kinds.size(); i++) {
        written.add(new HistoryEntry(r, 1, 8 + i, kinds.get(i), bob, "", null, 8));
      }
      appendNow(written);
      List<String> stored = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT kind FROM chatmesh_event WHERE room = ? AND seq >= 8 ORDER BY seq")) {
        ps.setString(1, r);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            stored.add(rs.getString(1));
          }
        }
      }
      assertThat(stored).isEqualTo(texts);
      try (PreparedStatement ps = c.prepareStatement(Sql.INSERT_EVENT)) {
        ps.setString(1, r);
        ps.setLong(2, 1);
        ps.setLong(3, 15);
        ps.setString(4, "REACTION");
        ps.setString(5, "bob");
        ps.setString(6, "");
        ps.setString(7, null);
        ps.setLong(8, 9);
        ps.executeUpdate();
      }
    }
    assertThatThrownBy(() -> store.readAfter(r, 14, 10))
        .isInstanceOfSatisfying(
            ChatException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
              assertThat(e.detail()).contains("unknown kind 'REACTION'");
            });
  }

  @Test
  void schemaIsAtTheLatestVersionAndStartingAgainChangesNothing() throws Exception {
    openStore().close();
    openStore().close();
    try (HikariDataSource pool = pool(url());
        Connection c = pool.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT version FROM chatmesh_schema_version ORDER BY version")) {
      List<Integer> versions = new ArrayList<>();
      while (rs.next()) {
        versions.add(rs.getInt(1));
      }
      assertThat(versions).containsExactly(1);
      assertThat(Sql.LATEST_VERSION).isEqualTo(1);
    }
  }

  /**
   * Kills (SIGKILL) a child process that appends as fast as it can and prints "ack seq" after each
   * append future completed; then every acked entry must be stored, exactly once, with no hole.
   */
  @Test
  void everyAckedEntrySurvivesKillMinus9OfTheWriter(@TempDir Path dir) throws Exception {
    String r = room("kill");
    String childUrl = killTestUrl(dir);
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child =
        new ProcessBuilder(java, "-cp", classpath, KillTestWriter.class.getName(), childUrl, r)
            .redirectError(new File(dir.toFile(), "child.err"))
            .start();
    long maxAcked = 0;
    int acks = 0;
    long start = System.nanoTime();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("ack ")) {
          maxAcked = Math.max(maxAcked, Long.parseLong(line.substring(4)));
          acks++;
          if (acks >= killAfterAcks() || System.nanoTime() - start > TimeUnit.SECONDS.toNanos(60)) {
            break;
          }
        }
      }
      child.destroyForcibly(); // SIGKILL: no shutdown hook, no close, no flush
      assertThat(child.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
    } finally {
      child.destroyForcibly();
    }
    assertThat(acks).as("acks seen before the kill (see %s/child.err)", dir).isGreaterThan(0);

    List<HistoryEntry> stored;
    try (JdbcHistoryStore reopened = JdbcHistoryStore.builder().url(childUrl).build()) {
      stored = reopened.readAfter(r, 0, 1_000_000);
    }
    List<Long> seqs = stored.stream().map(HistoryEntry::seq).toList();
    long lastStored = seqs.isEmpty() ? 0 : seqs.get(seqs.size() - 1);
    System.out.printf(
        "kill test (%s): acked %d (highest seq %d) before SIGKILL; stored %d (seq 1..%d); acked but lost %d%n",
        getClass().getSimpleName(), acks, maxAcked, seqs.size(), lastStored, Math.max(0, maxAcked - lastStored));
    assertThat(lastStored).as("every acked entry is stored").isGreaterThanOrEqualTo(maxAcked);
    assertThat(seqs).as("stored exactly once, without holes").isEqualTo(LongStream.rangeClosed(1, lastStored).boxed().toList());
  }

  /** Acks to see before the kill. */
  protected int killAfterAcks() {
    return 3_000;
  }
}
