package io.chatmesh.internal;

import io.chatmesh.NodeId;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads of one node: a small pool that runs the lanes (node lane and room lanes), and a
 * separate pool for history-store calls that may block (a JDBC store), so that no lane ever waits
 * for the store. Reads run in parallel ({@link #readHistory}); room records are written in the
 * order they were issued ({@link #writeStore}), so a room's delete never overtakes its save.
 * Thread-safe.
 */
final class EngineExecutors {
  private static final Logger log = LoggerFactory.getLogger(EngineExecutors.class);

  private final NodeId self;
  private final ExecutorService lanes;
  private final ExecutorService store;
  private final SerialExecutor storeWrites;

  EngineExecutors(NodeId self) {
    this.self = self;
    this.lanes = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), threads(self + "-"));
    this.store = Executors.newFixedThreadPool(2, threads(self + "-history-"));
    this.storeWrites = new SerialExecutor(self + "/store", store);
  }

  /** A new lane named {@code name} on the lane pool. */
  SerialExecutor lane(String name) {
    return new SerialExecutor(name, lanes);
  }

  /** Runs a history read off the lanes (dropped once the node is closed). */
  void readHistory(Runnable task) {
    try {
      store.execute(task);
    } catch (RejectedExecutionException e) {
      log.debug("{}: closed, history read dropped", self);
    }
  }

  /**
   * Runs a blocking history-store write ({@code saveRoom}, {@code deleteRoom}) off the lanes, after
   * the writes issued before it; a failure is logged as "could not {@code what}".
   */
  void writeStore(String what, Runnable write) {
    storeWrites.execute(() -> {
      try {
        write.run();
      } catch (RuntimeException e) {
        log.error("{}: could not {}", self, what, e);
      }
    });
  }

  /** The lane of ordered history-store writes, for its queue gauges. */
  SerialExecutor storeLane() {
    return storeWrites;
  }

  /** Stops both pools at once (a failed start). */
  void shutdownNow() {
    lanes.shutdownNow();
    store.shutdownNow();
  }

  /**
   * Stops the lanes first, waiting up to 2 s each, then the store pool: what the lanes hand to the
   * store while they finish is still written.
   */
  void shutdown() {
    shutDown(lanes);
    shutDown(store);
  }

  private static void shutDown(ExecutorService executor) {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(2, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "chatmesh-" + prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
