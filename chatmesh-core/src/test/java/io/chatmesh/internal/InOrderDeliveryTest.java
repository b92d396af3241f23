package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class InOrderDeliveryTest {
  private final InOrderDelivery<Long> d = new InOrderDelivery<>(x -> x, 100);

  @Test
  void releasesInOrderAndBuffersWhatRunsAhead() {
    d.startAt(1);
    assertThat(d.offer(2L)).isEmpty();
    assertThat(d.firstGap()).containsExactly(1, 1);
    assertThat(d.offer(3L)).isEmpty();
    assertThat(d.offer(1L)).containsExactly(1L, 2L, 3L);
    assertThat(d.nextExpected()).isEqualTo(4);
    assertThat(d.firstGap()).isNull();
  }

  @Test
  void rewindTakesSeqsAgainFromThereAndDropsWhatWasBuffered() {
    d.startAt(1);
    assertThat(d.offer(1L)).containsExactly(1L);
    assertThat(d.offer(2L)).containsExactly(2L);
    assertThat(d.offer(4L)).isEmpty();
    d.rewindTo(2);
    assertThat(d.nextExpected()).isEqualTo(2);
    assertThat(d.buffered()).isZero();
    assertThat(d.offer(2L)).containsExactly(2L);
    d.rewindTo(5); // never forwards
    assertThat(d.nextExpected()).isEqualTo(3);
  }

  @Test
  void dropsDuplicatesBelowAndInsideTheBuffer() {
    d.startAt(5);
    assertThat(d.offer(4L)).isEmpty();
    assertThat(d.offer(7L)).isEmpty();
    assertThat(d.offer(7L)).isEmpty();
    assertThat(d.buffered()).isEqualTo(1);
    assertThat(d.offer(5L)).containsExactly(5L);
    assertThat(d.offer(6L)).containsExactly(6L, 7L);
    assertThat(d.offer(6L)).isEmpty();
  }

  @Test
  void entriesOfferedBeforeStartAreKeptFromTheStartOn() {
    assertThat(d.started()).isFalse();
    assertThat(d.offer(9L)).isEmpty();
    assertThat(d.offer(10L)).isEmpty();
    assertThat(d.offer(8L)).isEmpty();
    assertThat(d.startAt(9)).containsExactly(9L, 10L);
  }

  @Test
  void skipToDeclaresAGapLost() {
    d.startAt(1);
    d.offer(5L);
    assertThat(d.firstGap()).containsExactly(1, 4);
    assertThat(d.skipTo(5)).containsExactly(5L);
    assertThat(d.nextExpected()).isEqualTo(6);
  }

  @Test
  void anyPermutationWithDuplicatesComesOutInOrder() {
    Random r = new Random(7);
    for (int round = 0; round < 50; round++) {
      InOrderDelivery<Long> x = new InOrderDelivery<>(v -> v, 1000);
      x.startAt(1);
      List<Long> in = new ArrayList<>();
      for (long i = 1; i <= 200; i++) {
        in.add(i);
        if (r.nextInt(5) == 0) {
          in.add(i);
        }
      }
      Collections.shuffle(in, r);
      List<Long> out = new ArrayList<>();
      in.forEach(v -> out.addAll(x.offer(v)));
      assertThat(out).hasSize(200).isSorted().doesNotHaveDuplicates();
    }
  }

  @Test
  void theBufferIsBounded() {
    InOrderDelivery<Long> small = new InOrderDelivery<>(x -> x, 3);
    small.startAt(1);
    for (long i = 2; i <= 10; i++) {
      small.offer(i);
    }
    assertThat(small.buffered()).isEqualTo(3);
    assertThat(small.offer(1L)).containsExactly(1L, 2L, 3L, 4L);
  }
}
