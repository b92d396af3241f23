package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.UserId;
import io.chatmesh.history.InMemoryHistoryStore;
import io.chatmesh.spi.history.HistoryEntry;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.Sequenced;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryEntriesTest {
  @Test
  void everyWireKindMapsToTheStoredKindOfTheSameMeaningAndBack() {
    for (EventKind k : EventKind.values()) {
      HistoryEntry.Kind stored = HistoryEntries.kind(k);
      assertThat(stored.name()).isEqualTo(k.name());
      assertThat(HistoryEntries.kind(stored)).isSameAs(k);
    }
    assertThat(Arrays.stream(EventKind.values()).map(HistoryEntries::kind).distinct()).hasSize(HistoryEntry.Kind.values().length);
  }

  @Test
  void entriesSurviveTheRoundTripFieldForField() {
    UserId bob = UserId.of("bob");
    List<Sequenced> wire =
        List.of(
            new Sequenced("r", 3, 7, EventKind.MESSAGE, bob, "hi", "c1", 1_700_000_000_000L),
            new Sequenced("r", 3, 8, EventKind.NODE_FAILED, bob, "", null, 1_700_000_000_001L));
    List<HistoryEntry> stored = HistoryEntries.toStored(wire);
    assertThat(stored.get(0)).isEqualTo(new HistoryEntry("r", 3, 7, HistoryEntry.Kind.MESSAGE, bob, "hi", "c1", 1_700_000_000_000L));
    assertThat(stored.get(1).user()).isSameAs(bob);
    assertThat(HistoryEntries.fromStored(stored)).isEqualTo(wire);
  }

  @Test
  void membersAtTheEndCountOnlyJoinsAndRemovalsNotTheOwnersSettingsOrInvitations() {
    UserId owner = UserId.of("owner");
    UserId bob = UserId.of("bob");
    UserId carol = UserId.of("carol");
    UserId dave = UserId.of("dave");
    InMemoryHistoryStore store = InMemoryHistoryStore.create();
    store.append(List.of(
        entry(1, HistoryEntry.Kind.JOINED, owner, ""),
        entry(2, HistoryEntry.Kind.JOINED, bob, ""),
        entry(3, HistoryEntry.Kind.JOINED, dave, ""),
        entry(4, HistoryEntry.Kind.SETTINGS, owner, "private"), // the owner's newest entry: still a member
        entry(5, HistoryEntry.Kind.INVITED, bob, ""), // an invitation of a member does not end its membership
        entry(6, HistoryEntry.Kind.INVITED, carol, ""), // nor does one make a member
        entry(7, HistoryEntry.Kind.LEFT, dave, ""),
        entry(8, HistoryEntry.Kind.UNINVITED, dave, ""))).join(); // nor does a withdrawal bring one back

    assertThat(HistoryEntries.membersAtEnd(store, "r")).containsExactly(bob, owner);
  }

  private static HistoryEntry entry(long seq, HistoryEntry.Kind kind, UserId user, String text) {
    return new HistoryEntry("r", 1, seq, kind, user, text, null, 1_700_000_000_000L + seq);
  }
}
