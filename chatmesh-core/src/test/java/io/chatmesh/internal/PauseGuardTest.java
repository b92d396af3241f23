package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PauseGuardTest {
  @Test
  void onlyALateTickCountsAsAPause() {
    PauseGuard g = new PauseGuard(1000);
    assertThat(g.tick(5_000)).isZero();
    assertThat(g.tick(5_500)).isZero();
    assertThat(g.tick(6_500)).isZero();
    assertThat(g.tick(9_000)).isEqualTo(2_500);
    assertThat(g.tick(9_500)).as("the round after a pause judges again").isZero();
  }
}
