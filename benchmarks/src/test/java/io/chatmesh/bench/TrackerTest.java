package io.chatmesh.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The checker the benchmark's "nothing lost, duplicated or reordered" claim rests on. */
class TrackerTest {
  private final Workload w = new Workload(1, 3, 100);

  private void deliverAll(Tracker t, int sub, long... seqs) {
    for (long s : seqs) {
      t.deliver(0, sub, 0, s, System.nanoTime());
    }
  }

  @Test
  void inOrderExactlyOnceIsOk() {
    Tracker t = new Tracker(w);
    for (int s = 0; s < 3; s++) {
      deliverAll(t, s, 1, 2, 3);
    }
    assertThat(t.check(new long[][] {{3, 0}}).ok()).isTrue();
    assertThat(t.delivered()).isEqualTo(9);
  }

  @Test
  void aRefusedPublishIsReportedButIsNotSilentLoss() {
    Tracker t = new Tracker(w);
    for (int s = 0; s < 3; s++) {
      deliverAll(t, s, 1, 3); // seq 2 was refused: its send future failed
    }
    t.publishFailed(0, 0);
    Tracker.Check c = t.check(new long[][] {{3, 0}});
    assertThat(c.ok()).isTrue();
    assertThat(c.lost()).isZero();
    assertThat(c.refused()).isEqualTo(1);
    assertThat(c.toString()).isEqualTo("OK; 1 sends refused (sender told)");

    Tracker u = new Tracker(w);
    for (int s = 0; s < 3; s++) {
      deliverAll(u, s, 1); // two of three missing at every subscriber, only one refused
    }
    u.publishFailed(0, 0);
    Tracker.Check d = u.check(new long[][] {{3, 0}});
    assertThat(d.ok()).as("a gap beyond the refused publishes is still loss").isFalse();
    assertThat(d.lost()).as("one per subscriber").isEqualTo(3);
  }

  @Test
  void detectsLossDuplicatesReorderingAndDivergence() {
    Tracker lost = new Tracker(w);
    for (int s = 0; s < 3; s++) {
      deliverAll(lost, s, 1, 2);
    }
    assertThat(lost.check(new long[][] {{3, 0}}).lost()).isEqualTo(3);

    Tracker gap = new Tracker(w);
    for (int s = 0; s < 3; s++) {
      deliverAll(gap, s, 1, 3);
    }
    assertThat(gap.check(new long[][] {{3, 0}}).lost()).isEqualTo(3);

    Tracker dup = new Tracker(w);
    for (int s = 0; s < 3; s++) {
      deliverAll(dup, s, 1, 2, 2);
    }
    assertThat(dup.check(new long[][] {{2, 0}}).duplicated()).isEqualTo(3);

    Tracker reorder = new Tracker(w);
    for (int s = 0; s < 3; s++) {
      deliverAll(reorder, s, 2, 1);
    }
    Tracker.Check c = reorder.check(new long[][] {{2, 0}});
    assertThat(c.reordered()).isEqualTo(3);
    assertThat(c.lost()).isZero();
    assertThat(c.ok()).isFalse();

    Tracker diverge = new Tracker(w);
    for (int s = 0; s < 3; s++) {
      if (s == 1) {
        diverge.deliver(0, s, 1, 1, System.nanoTime());
        diverge.deliver(0, s, 0, 1, System.nanoTime());
      } else {
        diverge.deliver(0, s, 0, 1, System.nanoTime());
        diverge.deliver(0, s, 1, 1, System.nanoTime());
      }
    }
    Tracker.Check d = diverge.check(new long[][] {{1, 1}});
    assertThat(d.divergentSubscribers()).isEqualTo(1);
    assertThat(d.toString()).contains("divergentSubs=1");
  }

  @Test
  void codecRoundTrips() {
    Codec.Delivery d = new Codec.Delivery();
    Codec.decodeText(Codec.encodeText(100, 7, 15, 42, -123456789L), d);
    assertThat(new long[] {d.room, d.publisher, d.pubSeq, d.stamp}).containsExactly(7, 15, 42, -123456789L);
    assertThat(Codec.encodeText(1024, 7, 15, 42, 5)).hasSize(1024);
    byte[] b = Codec.encode(100, 3, 4, 5, -6);
    Codec.Delivery e = new Codec.Delivery();
    Codec.decode(b, 0, e);
    assertThat(new long[] {e.room, e.publisher, e.pubSeq, e.stamp}).containsExactly(3, 4, 5, -6);
    assertThat(b).hasSize(100);
  }
}
