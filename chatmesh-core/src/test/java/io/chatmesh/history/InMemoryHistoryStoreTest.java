package io.chatmesh.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.testkit.AbstractHistoryStoreTest;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class InMemoryHistoryStoreTest extends AbstractHistoryStoreTest {
  private static final int BOUND = 150;

  @Override
  protected HistoryStore openStore() {
    return InMemoryHistoryStore.bounded(BOUND);
  }

  @Override
  protected boolean survivesRestart() {
    return false;
  }

  @Override
  protected OptionalInt maxEntriesPerRoom() {
    return OptionalInt.of(BOUND);
  }

  @Test
  void boundMustBePositive() {
    assertThatThrownBy(() -> InMemoryHistoryStore.bounded(0))
        .isInstanceOfSatisfying(ChatException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
          assertThat(e.detail()).contains("maxEntriesPerRoom").contains("0");
        });
    assertThat(InMemoryHistoryStore.create().maxEntriesPerRoom())
        .isEqualTo(InMemoryHistoryStore.DEFAULT_MAX_ENTRIES_PER_ROOM);
  }

  @Test
  void aBoundOfOneKeepsOnlyTheNewestEntry() {
    try (InMemoryHistoryStore one = InMemoryHistoryStore.bounded(1)) {
      String r = room("one");
      one.append(entries(r, 1, 1, 3)).join();
      assertThat(one.readAfter(r, 0, 10)).containsExactly(entry(r, 1, 3));
      assertThat(one.oldestSeq(r)).isEqualTo(3);
      // a late retry of a trimmed entry does not bring it back
      one.append(entries(r, 1, 2, 2)).join();
      assertThat(one.readAfter(r, 0, 10)).containsExactly(entry(r, 1, 3));
    }
  }

  @Test
  void appendCompletesBeforeReturning() {
    assertThat(store.append(entries(room("sync"), 1, 1, 1))).isCompleted();
  }
}
