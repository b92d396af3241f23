package io.chatmesh.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link OutboundQueue}: its bounds, batches, congestion hysteresis and overflow episodes. */
class OutboundQueueTest {
  private static byte[] record(int size, int marker) {
    byte[] b = new byte[size];
    b[0] = (byte) marker;
    return b;
  }

  @Test
  void refusesARecordBeyondEitherBoundAndKeepsTheCountsExact() {
    OutboundQueue byCount = new OutboundQueue(2, 1 << 20, 1 << 20);
    assertThat(byCount.offer(record(10, 1))).isTrue();
    assertThat(byCount.offer(record(10, 2))).isTrue();
    assertThat(byCount.offer(record(10, 3))).isFalse();
    assertThat(byCount.size()).isEqualTo(2);
    assertThat(byCount.bytes()).isEqualTo(20);

    OutboundQueue byBytes = new OutboundQueue(100, 25, 1 << 20);
    assertThat(byBytes.offer(record(10, 1))).isTrue();
    assertThat(byBytes.offer(record(10, 2))).isTrue();
    assertThat(byBytes.offer(record(10, 3))).isFalse();
    assertThat(byBytes.offer(record(5, 4))).isTrue(); // fits exactly
    assertThat(byBytes.size()).isEqualTo(3);
    assertThat(byBytes.bytes()).isEqualTo(25);
  }

  @Test
  void takesBatchesInOrderUpToTheBatchSizeButAtLeastOneRecord() {
    OutboundQueue q = new OutboundQueue(100, 1 << 20, 25);
    q.offer(record(10, 1));
    q.offer(record(10, 2));
    q.offer(record(10, 3));
    q.offer(record(40, 4)); // larger than a batch: goes alone
    LinkMethod.Batch first = q.takeBatch();
    assertThat(first.count()).isEqualTo(2);
    assertThat(first.length()).isEqualTo(20);
    assertThat(first.bytes()[0]).isEqualTo((byte) 1);
    assertThat(first.bytes()[10]).isEqualTo((byte) 2);
    LinkMethod.Batch second = q.takeBatch();
    assertThat(second.count()).isEqualTo(1);
    assertThat(second.bytes()[0]).isEqualTo((byte) 3);
    LinkMethod.Batch third = q.takeBatch();
    assertThat(third.count()).isEqualTo(1);
    assertThat(third.length()).isEqualTo(40);
    assertThat(q.takeBatch()).isNull();
    assertThat(q.isEmpty()).isTrue();
    assertThat(q.size()).isZero();
    assertThat(q.bytes()).isZero();
  }

  @Test
  void isNotWritableAboveHalfTheBoundUntilDrainedToAQuarter() {
    OutboundQueue q = new OutboundQueue(8, 1 << 20, 1);
    for (int i = 0; i < 4; i++) {
      q.offer(record(1, i));
    }
    assertThat(q.writable()).isTrue(); // 4 of 8: not above half
    q.offer(record(1, 4));
    assertThat(q.writable()).isFalse(); // 5 of 8
    q.takeBatch();
    q.takeBatch();
    assertThat(q.size()).isEqualTo(3);
    assertThat(q.writable()).isFalse(); // 3 of 8: still above a quarter
    q.takeBatch();
    assertThat(q.writable()).isTrue(); // 2 of 8
  }

  @Test
  void reportsTheFirstOverflowOfAnEpisodeOnlyUntilTheQueueDrainsBelowHalf() {
    OutboundQueue q = new OutboundQueue(4, 1 << 20, 1);
    for (int i = 0; i < 4; i++) {
      q.offer(record(1, i));
    }
    assertThat(q.offer(record(1, 9))).isFalse();
    assertThat(q.firstOverflow()).isTrue();
    assertThat(q.firstOverflow()).isFalse();
    q.takeBatch(); // 3 left: not below half
    assertThat(q.firstOverflow()).isFalse();
    q.takeBatch(); // 2 left: not below half
    q.takeBatch(); // 1 left: below half, a new episode may be reported
    assertThat(q.firstOverflow()).isTrue();
  }

  @Test
  void clearDropsEverythingAndSaysHowMuch() {
    OutboundQueue q = new OutboundQueue(10, 1 << 20, 1 << 20);
    q.offer(record(3, 1));
    q.offer(record(4, 2));
    assertThat(q.clear()).isEqualTo(2);
    assertThat(q.isEmpty()).isTrue();
    assertThat(q.size()).isZero();
    assertThat(q.bytes()).isZero();
    assertThat(q.offer(record(3, 3))).isTrue();
  }
}
