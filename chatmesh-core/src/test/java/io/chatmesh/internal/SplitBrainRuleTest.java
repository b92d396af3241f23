package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.NodeId;
import org.junit.jupiter.api.Test;

/** The one rule every node applies to two live rooms of one name ({@link RoomDirectory#wins}). */
class SplitBrainRuleTest {
  private static final NodeId N1 = NodeId.of("n1");
  private static final NodeId N2 = NodeId.of("n2");

  @Test
  void theHigherEpochWinsWhateverTheNodeIds() {
    assertThat(RoomDirectory.wins(2, N2, 1, N1)).isTrue();
    assertThat(RoomDirectory.wins(1, N1, 2, N2)).isFalse();
  }

  @Test
  void ofEqualEpochsTheLowerAdminNodeIdWins() {
    assertThat(RoomDirectory.wins(1, N1, 1, N2)).isTrue();
    assertThat(RoomDirectory.wins(1, N2, 1, N1)).isFalse();
  }

  @Test
  void exactlyOneOfTwoDifferentClaimsWinsSoEveryNodePicksTheSame() {
    long[][] epochs = {{1, 1}, {1, 3}, {4, 2}};
    for (long[] e : epochs) {
      assertThat(RoomDirectory.wins(e[0], N1, e[1], N2)).isNotEqualTo(RoomDirectory.wins(e[1], N2, e[0], N1));
    }
  }
}
