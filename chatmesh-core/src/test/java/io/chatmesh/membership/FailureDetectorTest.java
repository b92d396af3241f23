package io.chatmesh.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.NodeId;
import io.chatmesh.membership.FailureDetector.Change;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FailureDetectorTest {
  private final FailureDetector fd = FailureDetector.timeout(Duration.ofMillis(1000));
  private final NodeId n2 = NodeId.of("n2");

  @Test
  void firstContactIsUpSilenceIsDownAndContactAgainIsUp() {
    assertThat(fd.heard(n2, 1, 0)).containsExactly(new Change(n2, Change.Kind.UP));
    assertThat(fd.check(1000)).isEmpty();
    assertThat(fd.check(1001)).containsExactly(new Change(n2, Change.Kind.DOWN));
    assertThat(fd.isAlive(n2)).isFalse();
    assertThat(fd.check(5000)).isEmpty();
    assertThat(fd.heard(n2, 1, 5000)).containsExactly(new Change(n2, Change.Kind.UP));
    assertThat(fd.alive()).containsExactly(n2);
  }

  @Test
  void replayingTheLastKnownTimeDoesNotReviveADeadPeer() {
    fd.heard(n2, 1, 100);
    assertThat(fd.check(1200)).containsExactly(new Change(n2, Change.Kind.DOWN));
    assertThat(fd.heard(n2, 1, 100)).isEmpty();
    assertThat(fd.isAlive(n2)).isFalse();
    assertThat(fd.heard(n2, 1, 1300)).containsExactly(new Change(n2, Change.Kind.UP));
  }

  @Test
  void aNewIncarnationIsARestartAndOldIncarnationsAreIgnored() {
    fd.heard(n2, 5, 0);
    assertThat(fd.heard(n2, 6, 10)).containsExactly(new Change(n2, Change.Kind.RESTARTED));
    assertThat(fd.heard(n2, 5, 20)).isEmpty();
    assertThat(fd.check(1011)).containsExactly(new Change(n2, Change.Kind.DOWN));
  }

  @Test
  void goodbyeIsImmediateAndNotUndoneByReplayingTheLastHeartbeat() {
    fd.heard(n2, 1, 100);
    assertThat(fd.down(n2)).containsExactly(new Change(n2, Change.Kind.DOWN));
    assertThat(fd.down(n2)).isEmpty();
    assertThat(fd.heard(n2, 1, 100)).isEmpty();
    assertThat(fd.check(150)).isEmpty();
    assertThat(fd.isAlive(n2)).isFalse();
  }
}
