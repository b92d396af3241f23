package io.chatmesh.sequencer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.UserId;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DedupWindowTest {
  private static final long NONE = -1;
  private final UserId alice = UserId.of("alice");
  private final UserId bob = UserId.of("bob");

  @Test
  void matchesOnlyTheExactUserAndId() {
    DedupWindow w = new DedupWindow(10);
    w.put(alice, "c-1", 7);
    assertThat(w.get(alice, "c-1", NONE)).isEqualTo(7);
    assertThat(w.get(UserId.of("alice"), new String("c-1"), NONE)).as("equal, not identical, key").isEqualTo(7);
    assertThat(w.get(bob, "c-1", NONE)).isEqualTo(NONE);
    assertThat(w.get(alice, "c-2", NONE)).isEqualTo(NONE);
  }

  @Test
  void idsWithTheSameHashCodeAreStillDifferentKeys() {
    // "Aa" and "BB" have the same String.hashCode, so these keys share a hash and a probe run
    assertThat("Aa".hashCode()).isEqualTo("BB".hashCode());
    DedupWindow w = new DedupWindow(10);
    w.put(alice, "Aa", 1);
    assertThat(w.get(alice, "BB", NONE)).isEqualTo(NONE);
    w.put(alice, "BB", 2);
    w.put(alice, "AaAa", 3);
    w.put(alice, "BBBB", 4);
    w.put(alice, "AaBB", 5);
    assertThat(w.get(alice, "Aa", NONE)).isEqualTo(1);
    assertThat(w.get(alice, "BB", NONE)).isEqualTo(2);
    assertThat(w.get(alice, "AaAa", NONE)).isEqualTo(3);
    assertThat(w.get(alice, "BBBB", NONE)).isEqualTo(4);
    assertThat(w.get(alice, "AaBB", NONE)).isEqualTo(5);
    assertThat(w.get(alice, "BBAa", NONE)).isEqualTo(NONE);
  }

  @Test
  void evictsTheOldestKeyFirstAndNeverHoldsMoreThanTheWindow() {
    DedupWindow w = new DedupWindow(3);
    for (int i = 1; i <= 10; i++) {
      w.put(alice, "m" + i, i);
      assertThat(w.size()).isEqualTo(Math.min(i, 3));
    }
    for (int i = 1; i <= 7; i++) {
      assertThat(w.get(alice, "m" + i, NONE)).as("m%d evicted", i).isEqualTo(NONE);
    }
    for (int i = 8; i <= 10; i++) {
      assertThat(w.get(alice, "m" + i, NONE)).isEqualTo(i);
    }
  }

  @Test
  void puttingAPresentKeyUpdatesItsSeqButNotItsPlace() {
    DedupWindow w = new DedupWindow(2);
    w.put(alice, "a", 1);
    w.put(alice, "b", 2);
    w.put(alice, "a", 5); // no eviction, "a" stays the eldest
    assertThat(w.size()).isEqualTo(2);
    assertThat(w.get(alice, "a", NONE)).isEqualTo(5);
    w.put(alice, "c", 3);
    assertThat(w.get(alice, "a", NONE)).isEqualTo(NONE);
    assertThat(w.get(alice, "b", NONE)).isEqualTo(2);
    assertThat(w.get(alice, "c", NONE)).isEqualTo(3);
  }

  @Test
  void aWindowOfOneKeepsOnlyTheNewestKey() {
    DedupWindow w = new DedupWindow(1);
    w.put(alice, "a", 1);
    w.put(bob, "a", 2);
    assertThat(w.get(alice, "a", NONE)).isEqualTo(NONE);
    assertThat(w.get(bob, "a", NONE)).isEqualTo(2);
    assertThat(w.size()).isEqualTo(1);
  }

  @Test
  void rejectsAWindowBelowOne() {
    assertThatThrownBy(() -> new DedupWindow(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capacity");
  }

  /**
   * Random puts and gets against a LinkedHashMap with removeEldestEntry (what DefaultSequencer used
   * before), over window sizes that exercise growth, wrap-around and deletion in long probe runs
   * (few distinct users and ids with colliding hash codes). The seed is printed to reproduce a failure.
   */
  @Test
  void behavesLikeABoundedInsertionOrderedLinkedHashMap() {
    long seed = System.nanoTime();
    System.out.println("DedupWindowTest seed: " + seed);
    SplittableRandom rnd = new SplittableRandom(seed);
    UserId[] users = {alice, bob, UserId.of("carol"), UserId.of("d")};
    String[] parts = {"Aa", "BB", "x", "C#", "Bb"}; // "C#" and "Bb" collide too
    int[] windows = {1, 2, 3, 15, 16, 17, 100, 1000};
    for (int window : windows) {
      DedupWindow w = new DedupWindow(window);
      Map<Key, Long> model = new LinkedHashMap<>(16, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Long> eldest) {
          return size() > window;
        }
      };
      int distinct = rnd.nextInt(1, 4) * window + 3; // more keys than the window, so eviction happens
      for (int op = 0; op < 20_000; op++) {
        int k = rnd.nextInt(distinct);
        UserId u = users[k % users.length];
        String id = parts[(k / users.length) % parts.length] + (k / users.length / parts.length);
        if (rnd.nextInt(3) == 0) {
          long seq = rnd.nextLong(1, 1_000_000);
          w.put(u, id, seq);
          model.put(new Key(u, id), seq);
        } else {
          Long expected = model.get(new Key(u, id));
          assertThat(w.get(u, id, NONE))
              .as("seed %d window %d op %d key %s/%s", seed, window, op, u, id)
              .isEqualTo(expected == null ? NONE : expected);
        }
        assertThat(w.size()).as("seed %d window %d op %d", seed, window, op).isEqualTo(model.size());
      }
      for (Map.Entry<Key, Long> e : model.entrySet()) {
        assertThat(w.get(e.getKey().user(), e.getKey().id(), NONE)).as("seed %d window %d", seed, window).isEqualTo(e.getValue());
      }
    }
  }

  private record Key(UserId user, String id) {}
}
