package io.chatmesh.sequencer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.UserId;
import org.junit.jupiter.api.Test;

class SequencerTest {
  private final UserId alice = UserId.of("alice");
  private final UserId bob = UserId.of("bob");

  @Test
  void assignsConsecutiveNumbersAfterTheStartingPoint() {
    Sequencer s = Sequencer.create(3, 41, 10);
    assertThat(s.epoch()).isEqualTo(3);
    assertThat(s.next(alice, null)).isEqualTo(42);
    assertThat(s.next(bob, "x")).isEqualTo(43);
    assertThat(s.lastSeq()).isEqualTo(43);
  }

  @Test
  void remembersClientMessageIdsPerUser() {
    Sequencer s = Sequencer.create(1, 0, 10);
    long seq = s.next(alice, "c-1");
    assertThat(s.lookup(alice, "c-1")).hasValue(seq);
    assertThat(s.lookup(bob, "c-1")).isEmpty();
    assertThat(s.lookup(alice, "c-2")).isEmpty();
  }

  @Test
  void forgetsTheOldestIdsBeyondTheWindow() {
    Sequencer s = Sequencer.create(1, 0, 2);
    s.next(alice, "a");
    s.next(alice, "b");
    s.next(alice, "c");
    assertThat(s.lookup(alice, "a")).isEmpty();
    assertThat(s.lookup(alice, "b")).hasValue(2);
    assertThat(s.lookup(alice, "c")).hasValue(3);
  }

  @Test
  void rejectsNonsensicalStartingPoints() {
    assertThatThrownBy(() -> Sequencer.create(0, 0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Sequencer.create(1, -1, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
