package io.chatmesh.internal;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lane: runs submitted tasks one at a time, in submission order, on a shared executor. All state
 * owned by a lane is touched only from its tasks, so it needs no locks.
 *
 * <p>A lane knows when it is the current one (a thread-local set while one of its tasks runs), so
 * state owners can check that they are called on their lane with {@link #assertCurrent()}. The
 * check is on when the JVM runs with assertions enabled (as the tests do) or with the system
 * property {@code chatmesh.laneChecks=true}; otherwise it costs one boolean read.
 */
final class SerialExecutor implements Executor {
  private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);
  private static final ThreadLocal<@Nullable SerialExecutor> CURRENT = new ThreadLocal<>();

  /** Whether {@link #assertCurrent()} checks. */
  static final boolean CHECKED = SerialExecutor.class.desiredAssertionStatus() || Boolean.getBoolean("chatmesh.laneChecks");

  private final String name;
  private final Executor pool;
  private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
  /** When each queued task was submitted ({@link System#nanoTime()}), a ring parallel to {@link #queue}. */
  private long[] submitted = new long[2];
  private int oldest;
  private boolean running;

  SerialExecutor(String name, Executor pool) {
    this.name = name;
    this.pool = pool;
  }

  @Override
  public void execute(Runnable task) {
    long now = System.nanoTime();
    synchronized (queue) {
      queue.add(task);
      submitted(now);
      if (running) {
        return;
      }
      running = true;
    }
    schedule();
  }

  /** Whether the calling thread is running one of this lane's tasks. */
  boolean isCurrent() {
    return CURRENT.get() == this;
  }

  /**
   * Fails with {@link IllegalStateException} naming both lanes when lane checks are on and the
   * caller is not running on this lane: lane-owned state was touched from the wrong thread.
   */
  void assertCurrent() {
    if (CHECKED && CURRENT.get() != this) {
      SerialExecutor actual = CURRENT.get();
      throw new IllegalStateException(
          "must run on " + this + " but runs on " + (actual == null ? "thread " + Thread.currentThread().getName() : actual));
    }
  }

  private void schedule() {
    try {
      pool.execute(this::drain);
    } catch (RejectedExecutionException e) {
      synchronized (queue) {
        queue.clear();
        oldest = 0;
        running = false;
      }
    }
  }

  private void drain() {
    CURRENT.set(this);
    try {
      // run a bounded batch, then yield the pool thread so one hot lane cannot starve the others
      for (int i = 0; i < 256; i++) {
        Runnable next;
        synchronized (queue) {
          next = queue.poll();
          if (next == null) {
            running = false;
            return;
          }
          oldest = (oldest + 1) & (submitted.length - 1);
        }
        try {
          next.run();
        } catch (RuntimeException | Error e) {
          log.error("task on lane {} failed", name, e);
        }
      }
    } finally {
      CURRENT.remove();
    }
    schedule();
  }

  /** Records a submission time; the caller holds the queue's lock and has just added the task. */
  private void submitted(long now) {
    int n = queue.size(); // including the new task
    if (n > submitted.length) {
      long[] grown = new long[submitted.length * 2];
      for (int i = 0; i < n - 1; i++) {
        grown[i] = submitted[(oldest + i) & (submitted.length - 1)];
      }
      submitted = grown;
      oldest = 0;
    }
    submitted[(oldest + n - 1) & (submitted.length - 1)] = now;
  }

  /** Tasks waiting to run (not counting the one running). Any thread. */
  int queued() {
    synchronized (queue) {
      return queue.size();
    }
  }

  /** How long the oldest waiting task has waited, in nanoseconds at {@code now}; 0 if none waits. */
  long oldestWaitNanos(long now) {
    synchronized (queue) {
      return queue.isEmpty() ? 0 : Math.max(0, now - submitted[oldest]);
    }
  }

  @Override
  public String toString() {
    return "lane[" + name + "]";
  }
}
