package io.chatmesh.time;

import java.time.Duration;

/**
 * The source of time and timers for a node. Implementations must be thread-safe. Scheduled tasks
 * must be short (chatmesh only uses them to hand work to its own executors).
 */
public interface ChatClock {

  /**
   * Milliseconds since the Unix epoch.
   *
   * @return the current time
   */
  long millis();

  /**
   * Runs {@code task} once after {@code delay}; the returned handle cancels it if not yet run.
   *
   * @param delay how long to wait
   * @param task what to run, on a clock thread; must not block
   * @return a handle that cancels the task
   */
  Cancellable schedule(Duration delay, Runnable task);

  /** A scheduled task that can be cancelled. */
  @FunctionalInterface
  interface Cancellable {
    /** Cancels the task if it has not run yet; does nothing otherwise. */
    void cancel();
  }

  /**
   * The wall clock with one shared daemon timer thread.
   *
   * @return the shared system clock
   */
  static ChatClock system() {
    return SystemClock.INSTANCE;
  }
}
