package io.chatmesh;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.lease.InMemoryRoomLeases;
import io.chatmesh.testkit.BadRequests;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@link Failover.Builder#build()} enforces the checkable part of the timing rule: {@code
 * leaseDuration > 2 x renewInterval + maxClockDrift} (the liveness rule {@code leaseDuration >
 * renewInterval + requestTimeout + maxClockDrift} for a backend request timeout of at most one renew
 * interval), with a BAD_REQUEST naming every number; and the defaults satisfy it.
 */
class FailoverTimingRuleTest {
  private final InMemoryRoomLeases leases = new InMemoryRoomLeases();

  @Test
  void theDefaultsSatisfyTheRuleWithRoomToSpare() {
    Failover f = Failover.builder(leases).build();

    assertThat(f.leaseDuration()).isEqualTo(Duration.ofSeconds(6));
    assertThat(f.renewInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(f.maxClockDrift()).isEqualTo(Duration.ofMillis(500));
    // the liveness rule with a backend request timeout equal to the renew interval (the backends' default)
    assertThat(f.leaseDuration()).isGreaterThan(f.renewInterval().plus(f.renewInterval()).plus(f.maxClockDrift()));
  }

  @Test
  void aLeaseExactlyAtTheBoundIsRefusedNamingEveryNumber() {
    BadRequests.assertBadRequest(
        () -> Failover.builder(leases).leaseDuration(Duration.ofMillis(4500)).build(),
        "leaseDuration (4500 ms) must exceed 2 x renewInterval (2000 ms) + maxClockDrift (500 ms) = 4500 ms");
  }

  @Test
  void aShortRenewIntervalWithALongDriftIsCheckedToo() {
    BadRequests.assertBadRequest(
        () -> Failover.builder(leases)
            .leaseDuration(Duration.ofSeconds(3))
            .renewInterval(Duration.ofMillis(500))
            .maxClockDrift(Duration.ofMillis(2500))
            .build(),
        "leaseDuration (3000 ms) must exceed 2 x renewInterval (500 ms) + maxClockDrift (2500 ms) = 3500 ms");
  }

  @Test
  void oneMillisecondAboveTheBoundIsAccepted() {
    Failover f = Failover.builder(leases).leaseDuration(Duration.ofMillis(4501)).build();

    assertThat(f.leaseDuration()).isEqualTo(Duration.ofMillis(4501));
  }

  @Test
  void zeroDriftIsAllowedAndThenOnlyTheRenewalsCount() {
    Failover f = Failover.builder(leases)
        .leaseDuration(Duration.ofMillis(1001))
        .renewInterval(Duration.ofMillis(500))
        .maxClockDrift(Duration.ZERO)
        .build();

    assertThat(f.maxClockDrift()).isZero();
    BadRequests.assertBadRequest(
        () -> Failover.builder(leases).leaseDuration(Duration.ofMillis(1000)).renewInterval(Duration.ofMillis(500))
            .maxClockDrift(Duration.ZERO).build(),
        "leaseDuration (1000 ms) must exceed 2 x renewInterval (500 ms) + maxClockDrift (0 ms) = 1000 ms");
  }
}
