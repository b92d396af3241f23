package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.history.jdbc.JdbcHistoryStore;
import io.chatmesh.spi.history.HistoryStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The nemesis of chatmesh-core's tests (reused through its test-jar) with the nodes' history in H2
 * through {@link JdbcHistoryStore}: crash and restart with a JDBC history, and several nodes
 * sharing one history database (issue 10). Each node process opens its own store (a connection
 * pool and a group-commit writer) on its database and closes it when it ends; the data outlives it.
 *
 * <ul>
 *   <li>{@code -Dnemesis.history=h2}: one H2 file database per node (in a temporary directory);
 *   <li>{@code h2mem}: one in-memory H2 database per node (kept while the run lasts);
 *   <li>{@code h2shared}: one H2 file database shared by every node.
 * </ul>
 *
 * <p>{@link #crashesAndRestartsOverEveryH2Layout()} is part of {@code mvn verify}; {@link
 * #longRun()} and {@link #replay()} take the same properties as {@code NemesisTest}'s, plus {@code
 * nemesis.history} (default {@code h2}).
 */
class H2NemesisTest {
  /** The kinds that restart nodes or make the store slow: where the history store matters. */
  static final Set<FaultKind> STORE_KINDS = EnumSet.of(FaultKind.CRASH, FaultKind.FAST_RESTART, FaultKind.RESTART_CREATE,
      FaultKind.HELD_THEN_RESTART, FaultKind.SLOW_STORE, FaultKind.DELETE_RECREATE_RESUME, FaultKind.PARTITION);
  static final int SEEDS = 20;
  /** Stores opened, by every layout (each node process opens one). */
  private static final java.util.concurrent.atomic.AtomicInteger OPENED = new java.util.concurrent.atomic.AtomicInteger();

  @Test
  void crashesAndRestartsOverEveryH2Layout() {
    for (String layout : List.of("h2", "h2mem", "h2shared")) {
      long started = System.nanoTime();
      int openedBefore = OPENED.get();
      List<Checker.Anomaly> found = NemesisTest.runSeeds(1, SEEDS, 30, STORE_KINDS, Nemesis.Moves.SEQUENTIAL, false, false, h2(layout));
      System.out.printf("nemesis over %s: %d seeds, kinds %s, %d stores opened, %.1f s%n", layout, SEEDS,
          FaultKind.format(STORE_KINDS), OPENED.get() - openedBefore, (System.nanoTime() - started) / 1e9);
      assertThat(found).as(Checker.summary(found)).isEmpty();
      // every run starts 3-5 node processes, and the restarts of these kinds open more
      assertThat(OPENED.get() - openedBefore).as("H2 stores opened over " + layout).isGreaterThan(SEEDS * 3);
    }
  }

  @Test
  @EnabledIfSystemProperty(named = "nemesis.seeds", matches = "\\d+")
  void longRun() {
    NemesisTest.longRun(h2(System.getProperty("nemesis.history", "h2")));
  }

  @Test
  @EnabledIfSystemProperty(named = "nemesis.seed", matches = "-?\\d+")
  void replay() {
    NemesisTest.replay(h2(System.getProperty("nemesis.history", "h2")));
  }

  /** The histories of one of the layouts above. */
  static Histories.Factory h2(String layout) {
    String name = layout.toLowerCase(Locale.ROOT);
    if (!List.of("h2", "h2mem", "h2shared").contains(name)) {
      throw new IllegalArgumentException("nemesis.history must be h2, h2mem or h2shared, not '" + layout + "'");
    }
    return new Histories.Factory() {
      @Override
      public Histories create(long seed) {
        return name.equals("h2mem") ? new MemoryDatabases(seed) : new FileDatabases(seed, name.equals("h2shared"));
      }

      @Override
      public String name() {
        return name;
      }

      @Override
      public String replayTest() {
        return "-pl chatmesh-history-jdbc -am verify -Dtest=H2NemesisTest#replay";
      }
    };
  }

  /** One file database per node, or one for all ({@code shared}), in a directory dropped at the end. */
  private static final class FileDatabases implements Histories {
    private final Path dir;
    private final boolean shared;

    FileDatabases(long seed, boolean shared) {
      this.shared = shared;
      try {
        this.dir = Files.createTempDirectory("nemesis-h2-" + seed + "-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public HistoryStore open(String node) {
      OPENED.incrementAndGet();
      return JdbcHistoryStore.forUrl("h2:" + dir.resolve(shared ? "shared" : node));
    }

    @Override
    public boolean perProcess() {
      return true;
    }

    @Override
    public void close() {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** One in-memory database per node, kept by H2 while the run lasts, shut down at its end. */
  private static final class MemoryDatabases implements Histories {
    private final long seed;
    private final java.util.Set<String> urls = java.util.concurrent.ConcurrentHashMap.newKeySet();

    MemoryDatabases(long seed) {
      this.seed = seed;
    }

    @Override
    public HistoryStore open(String node) {
      String url = "jdbc:h2:mem:nemesis-" + seed + "-" + node + "-" + System.identityHashCode(this) + ";DB_CLOSE_DELAY=-1";
      urls.add(url);
      OPENED.incrementAndGet();
      return JdbcHistoryStore.forUrl(url);
    }

    @Override
    public boolean perProcess() {
      return true;
    }

    @Override
    public void close() {
      for (String url : urls) {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
          s.execute("SHUTDOWN");
        } catch (SQLException e) {
          throw new IllegalStateException("could not drop " + url, e);
        }
      }
    }
  }
}
