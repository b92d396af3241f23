package io.chatmesh.time;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A clock that moves only when a test calls {@link #advance(Duration)}; due tasks run on the
 * calling thread, in due-time order. Thread-safe: any thread may advance or schedule.
 *
 * <p>Typical use: build every node of a test cluster with the same {@code ManualClock} and advance
 * it past a heartbeat timeout to make the failure detector fire, deterministically and instantly.
 */
public final class ManualClock implements ChatClock {
  private final PriorityQueue<Task> tasks =
      new PriorityQueue<>((a, b) -> a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.order, b.order));
  private long now;
  private long order;

  /**
   * Starts at {@code startMillis} since the epoch.
   *
   * @param startMillis the initial time
   */
  public ManualClock(long startMillis) {
    this.now = startMillis;
  }

  /** Starts at 2026-01-01T00:00:00Z. */
  public ManualClock() {
    this(1_767_225_600_000L);
  }

  @Override
  public synchronized long millis() {
    return now;
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    Task t;
    synchronized (this) {
      t = new Task(now + Math.max(0, delay.toMillis()), order++, task);
      tasks.add(t);
    }
    return () -> {
      synchronized (this) {
        tasks.remove(t);
      }
    };
  }

  /**
   * Moves time forward by {@code amount}, running every task that falls due on the way (including
   * tasks those tasks schedule within the window), each at its own due time.
   *
   * @param amount how far to move, not negative
   */
  public void advance(Duration amount) {
    long target;
    synchronized (this) {
      target = now + amount.toMillis();
    }
    while (true) {
      List<Runnable> due = new ArrayList<>();
      synchronized (this) {
        Task head = tasks.peek();
        if (head == null || head.due > target) {
          now = Math.max(now, target);
          return;
        }
        long at = head.due;
        now = Math.max(now, at);
        while (!tasks.isEmpty() && tasks.peek().due == at) {
          due.add(tasks.poll().task);
        }
      }
      for (Runnable r : due) {
        r.run();
      }
    }
  }

  /**
   * Number of tasks waiting; useful to assert that nothing is left scheduled after close.
   *
   * @return the number of scheduled tasks not yet run or cancelled
   */
  public synchronized int pendingTasks() {
    return tasks.size();
  }

  private record Task(long due, long order, Runnable task) {}
}
