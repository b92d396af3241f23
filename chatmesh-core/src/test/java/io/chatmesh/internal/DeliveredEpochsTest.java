package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.UserId;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.Sequenced;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeliveredEpochsTest {
  private final DeliveredEpochs d = new DeliveredEpochs(10);

  private static Sequenced e(long epoch, long seq) {
    return new Sequenced("r", epoch, seq, EventKind.MESSAGE, UserId.of("u"), "m" + seq, null, 0);
  }

  @Test
  void aNewerEpochIsHeldUntilTheCheckFindsWhereTheLogsDiffer() {
    for (long s = 1; s <= 8; s++) {
      d.delivered(e(1, s));
    }
    assertThat(d.needsCheck(1)).isFalse();
    assertThat(d.hold(e(1, 9))).isFalse();
    assertThat(d.hold(e(2, 7))).isTrue();
    assertThat(d.shouldCheck(2, 7)).isTrue();
    long gen = d.checkSent();
    assertThat(d.shouldCheck(2, 7)).as("one check at a time").isFalse();
    assertThat(d.checkFrom(9)).isEqualTo(1);

    // the new admin's log: epoch 1 up to 6, its own from 7
    long at = d.answered(List.of(e(1, 5), e(1, 6), e(2, 7)), 1, 9, 2, 7);
    assertThat(at).isEqualTo(7);
    assertThat(d.current(gen)).isTrue();
    d.truncate(at);
    assertThat(d.current(gen)).isFalse();
    assertThat(d.release()).containsExactly(e(2, 7));
    assertThat(d.needsCheck(2)).isFalse();
  }

  @Test
  void aLogThatHoldsEverythingDeliveredChangesNothing() {
    d.delivered(e(1, 1));
    d.delivered(e(1, 2));
    d.delivered(e(3, 3)); // adopted entries keep their epoch
    assertThat(d.hold(e(4, 4))).isTrue();
    d.checkSent();
    assertThat(d.answered(List.of(e(1, 1), e(1, 2), e(3, 3)), 1, 4, 4, 3)).isEqualTo(4);
    assertThat(d.release()).containsExactly(e(4, 4));
  }

  @Test
  void aLogEndingBelowWhatWasDeliveredCannotDecideUntilItGrows() {
    d.delivered(e(1, 1));
    d.delivered(e(1, 2));
    d.delivered(e(1, 3));
    assertThat(d.shouldCheck(2, 2)).isTrue();
    d.checkSent();
    assertThat(d.answered(List.of(e(1, 1), e(1, 2)), 1, 4, 2, 2)).isEqualTo(4);
    assertThat(d.needsCheck(2)).as("undecided").isTrue();
    assertThat(d.shouldCheck(2, 2)).as("the admin's log did not grow").isFalse();
    assertThat(d.shouldCheck(2, 3)).isTrue();
  }

  @Test
  void aFailedCheckIsAskedAgainAndResetForgetsEverything() {
    d.delivered(e(1, 1));
    d.hold(e(2, 2));
    d.checkSent();
    d.checkFailed();
    assertThat(d.shouldCheck(2, 2)).isTrue();
    d.reset();
    assertThat(d.needsCheck(2)).isFalse();
    assertThat(d.newestHeld()).isNull();
  }

  @Test
  void seqsDeclaredLostAreNotComparedAndDeliveryAfterThemIs() {
    d.delivered(e(1, 1));
    d.skipped(2); // 2..3 declared lost (MessagesLost), delivery goes on at 4
    d.delivered(e(1, 4));
    d.hold(e(2, 5));
    d.checkSent();
    // the log has other epochs' entries at 2..3 (nothing delivered there): no going back for them
    assertThat(d.answered(List.of(e(1, 1), e(3, 2), e(3, 3), e(1, 4)), 1, 5, 2, 4)).isEqualTo(5);
    d.hold(e(2, 6));
    d.checkFailed();
    d.reset();
    d.delivered(e(1, 1));
    d.skipped(2);
    d.delivered(e(1, 4));
    d.checkSent();
    assertThat(d.answered(List.of(e(1, 1), e(3, 2), e(3, 3), e(3, 4)), 1, 5, 3, 4)).as("4 differs").isEqualTo(4);
    d.truncate(4);
    assertThat(d.needsCheck(3)).as("checked against epoch 3").isFalse();
    assertThat(d.needsCheck(4)).as("the last delivered epoch is 1 again, 4 is newer than the one checked").isTrue();
  }
}
