package io.chatmesh.nemesis;

import io.chatmesh.history.InMemoryHistoryStore;
import io.chatmesh.spi.history.HistoryStore;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the nodes of one nemesis run keep their history: opened by every node process at its start
 * (also after a crash), closed with it, and kept across restarts. The default is one in-memory
 * store per node that outlives its processes ({@link #memory()}); chatmesh-history-jdbc's tests add
 * H2 databases, per node or shared by every node. One instance serves one run (one seed).
 */
interface Histories extends AutoCloseable {
  /** The store the process of {@code node} starting now uses. */
  HistoryStore open(String node);

  /**
   * Whether a store from {@link #open} belongs to one process (closed with the node, reopened by
   * the next one, like a connection pool) or is shared by every process of the node (not closed).
   */
  boolean perProcess();

  /** Ends the run: drops what the run stored. */
  @Override
  void close();

  /** Makes one {@link Histories} per run. */
  interface Factory {
    /** The histories of the run of {@code seed}. */
    Histories create(long seed);

    /** A name for reports and replay commands ({@code -Dnemesis.history=...}). */
    String name();

    /** The Maven module and test class whose {@code replay} runs a seed with these histories. */
    default String replayTest() {
      return "-pl chatmesh-core -am verify -Dtest=NemesisTest#replay";
    }
  }

  /** One in-memory store per node, kept across its restarts (the default). */
  static Factory memory() {
    return new Factory() {
      @Override
      public Histories create(long seed) {
        Map<String, HistoryStore> stores = new ConcurrentHashMap<>();
        return new Histories() {
          @Override
          public HistoryStore open(String node) {
            return stores.computeIfAbsent(node, n -> InMemoryHistoryStore.create());
          }

          @Override
          public boolean perProcess() {
            return false;
          }

          @Override
          public void close() {
            stores.clear();
          }
        };
      }

      @Override
      public String name() {
        return "memory";
      }
    };
  }
}
