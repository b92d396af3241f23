package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The queue gauges of a lane: depth and the age of the oldest waiting task. */
class SerialExecutorGaugesTest {

  @Test
  void depthAndOldestWaitFollowTheQueueAcrossRingGrowth() {
    List<Runnable> pool = new ArrayList<>();
    SerialExecutor lane = new SerialExecutor("test", pool::add);
    assertThat(lane.queued()).isZero();
    assertThat(lane.oldestWaitNanos(System.nanoTime())).isZero();

    int tasks = 7; // more than the ring's initial capacity: it grows twice
    long[] before = new long[tasks + 1];
    AtomicLong oldestSeenBySecond = new AtomicLong();
    AtomicLong queuedSeenBySecond = new AtomicLong();
    for (int i = 0; i < tasks; i++) {
      before[i] = System.nanoTime();
      if (i == 1) {
        lane.execute(() -> {
          long now = System.nanoTime();
          oldestSeenBySecond.set(now - lane.oldestWaitNanos(now)); // the submission time of task 3
          queuedSeenBySecond.set(lane.queued());
        });
      } else {
        lane.execute(() -> {});
      }
    }
    before[tasks] = System.nanoTime();
    assertThat(lane.queued()).isEqualTo(tasks);
    long now = System.nanoTime();
    assertThat(lane.oldestWaitNanos(now)).isBetween(now - before[1], now - before[0]);

    assertThat(pool).hasSize(1); // one drain scheduled
    pool.remove(0).run();
    assertThat(queuedSeenBySecond.get()).isEqualTo(tasks - 2);
    assertThat(oldestSeenBySecond.get()).isBetween(before[2], before[3]);
    assertThat(lane.queued()).isZero();
    assertThat(lane.oldestWaitNanos(System.nanoTime())).isZero();
  }
}
