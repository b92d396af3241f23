package io.chatmesh.internal;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lane: runs submitted tasks one at a time, in submission order, on a shared executor. All state
 * owned by a lane is touched only from its tasks, so it needs no locks.
 */
final class SerialExecutor implements Executor {
  private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

  private final String name;
  private final Executor pool;
  private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
  private boolean running;

  SerialExecutor(String name, Executor pool) {
    this.name = name;
    this.pool = pool;
  }

  @Override
  public void execute(Runnable task) {
    synchronized (queue) {
      queue.add(task);
      if (running) {
        return;
      }
      running = true;
    }
    schedule();
  }

  private void schedule() {
    try {
      pool.execute(this::drain);
    } catch (RejectedExecutionException e) {
      synchronized (queue) {
        queue.clear();
        running = false;
      }
    }
  }

  private void drain() {
    // run a bounded batch, then yield the pool thread so one hot lane cannot starve the others
    for (int i = 0; i < 256; i++) {
      Runnable next;
      synchronized (queue) {
        next = queue.poll();
        if (next == null) {
          running = false;
          return;
        }
      }
      try {
        next.run();
      } catch (RuntimeException | Error e) {
        log.error("task on lane {} failed", name, e);
      }
    }
    schedule();
  }

  @Override
  public String toString() {
    return "lane[" + name + "]";
  }
}
