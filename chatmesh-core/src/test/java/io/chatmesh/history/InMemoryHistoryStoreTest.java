package io.chatmesh.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.spi.history.HistoryEntry;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.testkit.AbstractHistoryStoreTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
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

  @Test
  void keepsTheStoredEntryInstanceWithoutCopies() {
    String r = room("same");
    HistoryEntry e = entry(r, 1, 1);
    store.append(List.of(e)).join();
    assertThat(store.readAfter(r, 0, 1).get(0)).isSameAs(e);
  }

  /**
   * Random appends (mostly ascending, some older or repeated seqs, some with another epoch) and
   * reads against a model with the semantics of the TreeMap the per-room log used to be: put if
   * absent, conflict on another epoch, then trim the lowest seqs beyond the bound. The seed is
   * printed to reproduce a failure.
   */
  @Test
  void behavesLikeABoundedSortedMapUnderRandomAppendsAndReads() {
    long seed = System.nanoTime();
    System.out.println("InMemoryHistoryStoreTest seed: " + seed);
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int bound : new int[] {1, 2, 7, 16, 17, 40}) {
      try (InMemoryHistoryStore s = InMemoryHistoryStore.bounded(bound)) {
        String r = room("rnd" + bound);
        TreeMap<Long, HistoryEntry> model = new TreeMap<>();
        long top = 0;
        for (int op = 0; op < 3_000; op++) {
          String at = "seed " + seed + " bound " + bound + " op " + op;
          int what = rnd.nextInt(10);
          if (what < 5) {
            long seq = rnd.nextInt(8) == 0 ? Math.max(1, top - rnd.nextInt(bound * 2 + 2)) : ++top;
            long epoch = rnd.nextInt(10) == 0 ? 2 : 1;
            HistoryEntry e = entry(r, epoch, seq);
            HistoryEntry stored = model.putIfAbsent(seq, e);
            boolean conflict = stored != null && stored.epoch() != epoch;
            while (model.size() > bound) {
              model.pollFirstEntry();
            }
            top = Math.max(top, seq);
            if (conflict) {
              assertThatThrownBy(() -> s.append(List.of(e)).join()).as(at)
                  .isInstanceOf(CompletionException.class)
                  .hasCauseInstanceOf(ChatException.class);
            } else {
              assertThat(s.append(List.of(e))).as(at).isCompleted();
            }
          } else {
            long pivot = rnd.nextLong(0, top + 3);
            int limit = rnd.nextInt(1, bound + 3);
            assertThat(s.readAfter(r, pivot, limit)).as(at + " readAfter " + pivot + " " + limit)
                .containsExactlyElementsOf(first(model.tailMap(pivot, false), limit));
            List<HistoryEntry> before = new ArrayList<>(model.headMap(pivot, false).descendingMap().values());
            before = new ArrayList<>(before.subList(0, Math.min(limit, before.size())));
            java.util.Collections.reverse(before);
            assertThat(s.readBefore(r, pivot, limit)).as(at + " readBefore " + pivot + " " + limit)
                .containsExactlyElementsOf(before);
          }
          assertThat(s.oldestSeq(r)).as(at).isEqualTo(model.isEmpty() ? 0 : model.firstKey());
          assertThat(s.lastPosition(r).map(HistoryStore.Position::seq)).as(at)
              .isEqualTo(model.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(model.lastKey()));
        }
      }
    }
  }

  private static List<HistoryEntry> first(Map<Long, HistoryEntry> m, int limit) {
    return m.values().stream().limit(limit).toList();
  }
}
