package io.chatmesh.time;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManualClockTest {
  @Test
  void runsDueTasksInOrderAtTheirOwnTime() {
    ManualClock c = new ManualClock(0);
    List<String> log = new ArrayList<>();
    c.schedule(Duration.ofMillis(30), () -> log.add("b@" + c.millis()));
    c.schedule(Duration.ofMillis(10), () -> {
      log.add("a@" + c.millis());
      c.schedule(Duration.ofMillis(5), () -> log.add("a2@" + c.millis()));
    });
    ChatClock.Cancellable never = c.schedule(Duration.ofMillis(20), () -> log.add("never"));
    never.cancel();
    c.advance(Duration.ofMillis(25));
    assertThat(log).containsExactly("a@10", "a2@15");
    assertThat(c.millis()).isEqualTo(25);
    c.advance(Duration.ofMillis(100));
    assertThat(log).containsExactly("a@10", "a2@15", "b@30");
    assertThat(c.pendingTasks()).isZero();
  }
}
