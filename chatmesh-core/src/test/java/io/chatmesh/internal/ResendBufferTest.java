package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.UserId;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.Lost;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.WireMessage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResendBufferTest {
  private final List<WireMessage> out = new ArrayList<>();

  private static Sequenced entry(long seq) {
    return new Sequenced("r", 1, seq, EventKind.MESSAGE, UserId.of("u"), "m" + seq, null, 0);
  }

  private static ResendBuffer filled(int capacity, long upTo) {
    ResendBuffer b = new ResendBuffer(capacity);
    for (long s = 1; s <= upTo; s++) {
      b.add(entry(s));
    }
    return b;
  }

  private List<Long> seqs() {
    return out.stream().filter(m -> m instanceof Sequenced).map(m -> ((Sequenced) m).seq()).toList();
  }

  @Test
  void keepsOnlyTheNewestEntriesUpToItsCapacity() {
    ResendBuffer b = filled(3, 10);
    assertThat(b.size()).isEqualTo(3);
    assertThat(b.serve("r", 1, 8, 10, 10, out::add)).isEqualTo(3);
    assertThat(seqs()).containsExactly(8L, 9L, 10L);
  }

  @Test
  void answersThePartOlderThanTheBufferWithOneLost() {
    ResendBuffer b = filled(3, 10);
    assertThat(b.serve("r", 7, 2, 9, 10, out::add)).isEqualTo(2);
    assertThat(out.get(0)).isEqualTo(new Lost("r", 7, 2, 7));
    assertThat(seqs()).containsExactly(8L, 9L);
  }

  @Test
  void neverResendsAnEntryThatIsNotReleasedYet() {
    ResendBuffer b = filled(10, 6);
    assertThat(b.serve("r", 1, 3, 6, 4, out::add)).isEqualTo(2);
    assertThat(seqs()).containsExactly(3L, 4L);
    out.clear();
    assertThat(b.serve("r", 1, 5, 6, 4, out::add)).isZero();
    assertThat(out).isEmpty();
  }

  @Test
  void anEmptyBufferReportsEverythingReleasedAsLost() {
    ResendBuffer b = new ResendBuffer(5);
    assertThat(b.serve("r", 1, 0, 9, 4, out::add)).isZero();
    assertThat(out).containsExactly(new Lost("r", 1, 1, 4));
  }

  @Test
  void resendsAtMostOneBatchPerRequest() {
    ResendBuffer b = filled(5000, 3000);
    assertThat(b.serve("r", 1, 1, 3000, 3000, out::add)).isEqualTo(ResendBuffer.MAX_RESEND_BATCH);
    assertThat(seqs()).first().isEqualTo(1L);
    assertThat(seqs()).last().isEqualTo((long) ResendBuffer.MAX_RESEND_BATCH);
  }
}
