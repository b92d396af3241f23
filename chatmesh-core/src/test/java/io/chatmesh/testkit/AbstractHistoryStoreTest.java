package io.chatmesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.UserId;
import io.chatmesh.spi.history.HistoryEntry;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.spi.history.HistoryStore.Position;
import io.chatmesh.spi.history.HistoryStore.StoredRoom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link HistoryStore} must meet, written once and run by a near-empty subclass
 * per implementation (in memory, H2, PostgreSQL). Each test works on rooms and node ids with a
 * fresh random prefix, so a shared database needs no cleaning between tests or runs.
 */
public abstract class AbstractHistoryStoreTest {
  /** Bound on every wait for an append future. */
  protected static final long TIMEOUT_SECONDS = 30;

  /** The store under test, opened before each test. */
  protected HistoryStore store;

  private String prefix;

  /**
   * Opens a store on this test class's database. Called before each test and again by the restart
   * test (after closing the previous instance), which must then see the same data.
   */
  protected abstract HistoryStore openStore();

  /** Whether a new instance on the same database sees what an earlier one stored. */
  protected boolean survivesRestart() {
    return true;
  }

  /** The per-room bound of a store that trims, or empty for one that keeps everything. */
  protected OptionalInt maxEntriesPerRoom() {
    return OptionalInt.empty();
  }

  @BeforeEach
  void openStoreForTest() {
    prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
    store = openStore();
  }

  @AfterEach
  void closeStoreAfterTest() {
    store.close();
  }

  /** A room name unique to this test. */
  protected String room(String name) {
    return prefix + "-" + name;
  }

  /** A node id unique to this test. */
  protected NodeId node(String name) {
    return NodeId.of(prefix + "-" + name);
  }

  /** A MESSAGE entry with text "m{seq}" from alice. */
  protected static HistoryEntry entry(String room, long epoch, long seq) {
    return new HistoryEntry(room, epoch, seq, HistoryEntry.Kind.MESSAGE, UserId.of("alice"), "m" + seq, "c" + seq, 1_000 + seq);
  }

  /** Entries {@code from..to} (inclusive) of one room and epoch. */
  protected static List<HistoryEntry> entries(String room, long epoch, long from, long to) {
    return LongStream.rangeClosed(from, to).mapToObj(s -> entry(room, epoch, s)).toList();
  }

  /** Appends and waits (bounded) for the entries to be durable. */
  protected void appendNow(List<HistoryEntry> entries) {
    try {
      store.append(entries).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("append failed", e);
    }
  }

  private static List<Long> seqs(List<HistoryEntry> entries) {
    return entries.stream().map(HistoryEntry::seq).toList();
  }

  private static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  @Test
  void truncateAfterRemovesTheLaterEntriesSoAnotherEpochCanTakeTheirSeqs() {
    org.junit.jupiter.api.Assumptions.assumeFalse(store.shared(), "a shared store is never truncated");
    String r = room("trunc");
    appendNow(entries(r, 1, 1, 6));
    store.truncateAfter(r, 4);
    assertThat(seqs(store.readAfter(r, 0, 100))).isEqualTo(range(1, 4));
    assertThat(store.lastPosition(r)).contains(new HistoryStore.Position(1, 4));
    appendNow(entries(r, 2, 5, 7)); // a new admin's entries at the freed seqs
    assertThat(store.readAfter(r, 4, 100)).extracting(HistoryEntry::epoch).containsOnly(2L);
    store.truncateAfter(r, 10); // nothing after 10: no-op
    store.truncateAfter(room("never-written"), 0);
    assertThat(seqs(store.readAfter(r, 0, 100))).isEqualTo(range(1, 7));
    assertThatThrownBy(() -> store.truncateAfter(r, -1)).isInstanceOf(io.chatmesh.ChatException.class)
        .hasMessageContaining("seq");
  }

  @Test
  void emptyRoomHasNothing() {
    String r = room("empty");
    assertThat(store.readAfter(r, 0, 10)).isEmpty();
    assertThat(store.readBefore(r, Long.MAX_VALUE, 10)).isEmpty();
    assertThat(store.lastPosition(r)).isEmpty();
    assertThat(store.oldestSeq(r)).isZero();
    assertThat(store.rooms(node("nobody"))).isEmpty();
  }

  @Test
  void entriesRoundTripEveryField() {
    String r = room("fields");
    List<HistoryEntry> written =
        List.of(
            new HistoryEntry(r, 3, 1, HistoryEntry.Kind.JOINED, UserId.of("bob"), "", null, 1_700_000_000_000L),
            new HistoryEntry(r, 3, 2, HistoryEntry.Kind.MESSAGE, UserId.of("bob"), "héllo, wörld ✓ 🎉 'quoted' \"x\"\n", "cid-1", 1_700_000_000_001L),
            new HistoryEntry(r, 3, 3, HistoryEntry.Kind.LEFT, UserId.of("bob"), "", null, 1_700_000_000_002L),
            new HistoryEntry(r, 3, 4, HistoryEntry.Kind.NODE_FAILED, UserId.of("carol"), "", null, 1_700_000_000_003L),
            new HistoryEntry(r, 3, 5, HistoryEntry.Kind.MESSAGE, UserId.of("dave"), "x".repeat(4096), "c".repeat(64), 0));
    appendNow(written);
    assertThat(store.readAfter(r, 0, 100)).containsExactlyElementsOf(written);
  }

  @Test
  void readAfterReturnsAscendingPagesAcrossAppends() {
    String r = room("after");
    appendNow(entries(r, 1, 1, 3));
    appendNow(entries(r, 1, 4, 4));
    appendNow(entries(r, 1, 5, 9));
    assertThat(seqs(store.readAfter(r, 0, 100))).isEqualTo(range(1, 9));
    assertThat(seqs(store.readAfter(r, 4, 100))).isEqualTo(range(5, 9));
    assertThat(seqs(store.readAfter(r, 2, 3))).isEqualTo(range(3, 5));
    assertThat(store.readAfter(r, 9, 10)).isEmpty();
    assertThat(store.readAfter(r, 1_000, 10)).isEmpty();
    assertThat(store.readAfter(r, 3, 1)).containsExactly(entry(r, 1, 4));
  }

  @Test
  void readBeforePagesBackwards() {
    String r = room("before");
    appendNow(entries(r, 1, 1, 10));
    assertThat(seqs(store.readBefore(r, 11, 3))).isEqualTo(range(8, 10));
    assertThat(seqs(store.readBefore(r, 8, 3))).isEqualTo(range(5, 7));
    assertThat(seqs(store.readBefore(r, Long.MAX_VALUE, 2))).isEqualTo(range(9, 10));
    assertThat(seqs(store.readBefore(r, 3, 10))).isEqualTo(range(1, 2));
    assertThat(store.readBefore(r, 1, 10)).isEmpty();

    List<Long> collected = new ArrayList<>();
    long before = Long.MAX_VALUE;
    int pages = 0;
    while (true) {
      List<HistoryEntry> page = store.readBefore(r, before, 4);
      if (page.isEmpty()) {
        break;
      }
      assertThat(seqs(page)).isSorted();
      collected.addAll(0, seqs(page));
      before = page.get(0).seq();
      pages++;
    }
    assertThat(collected).isEqualTo(range(1, 10));
    assertThat(pages).isEqualTo(3);
  }

  @Test
  void reappendingStoredEntriesIsANoOp() {
    String r = room("idem");
    appendNow(entries(r, 1, 1, 5));
    appendNow(entries(r, 1, 1, 5));
    appendNow(entries(r, 1, 4, 8)); // overlaps 4..5, adds 6..8
    appendNow(List.of(entry(r, 1, 2)));
    assertThat(store.readAfter(r, 0, 100)).containsExactlyElementsOf(entries(r, 1, 1, 8));
    assertThat(store.lastPosition(r)).contains(new Position(1, 8));
  }

  @Test
  void seqTakenByAnotherEpochKeepsTheStoredEntryAndFailsTheAppend() {
    String r = room("fence");
    appendNow(entries(r, 1, 1, 3));
    CompletableFuture<Void> stale = store.append(List.of(entry(r, 2, 3), entry(r, 2, 4)));
    assertThatThrownBy(() -> stale.get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            ChatException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.NOT_ADMIN);
              assertThat(e.detail()).contains(r).contains("seq 3").contains("epoch 1");
            });
    // the stored entry won; the conflict-free entry of the same call was stored
    assertThat(store.readAfter(r, 0, 10))
        .containsExactly(entry(r, 1, 1), entry(r, 1, 2), entry(r, 1, 3), entry(r, 2, 4));
  }

  @Test
  void oneAppendMayCarrySeveralRooms() {
    String a = room("a");
    String b = room("b");
    appendNow(List.of(entry(a, 1, 1), entry(b, 7, 1), entry(a, 1, 2), entry(b, 7, 2), entry(b, 7, 3)));
    assertThat(seqs(store.readAfter(a, 0, 10))).isEqualTo(range(1, 2));
    assertThat(seqs(store.readAfter(b, 0, 10))).isEqualTo(range(1, 3));
    assertThat(store.lastPosition(a)).contains(new Position(1, 2));
    assertThat(store.lastPosition(b)).contains(new Position(7, 3));
  }

  @Test
  void lastPositionFollowsTheNewestEntryAcrossEpochs() {
    String r = room("epochs");
    appendNow(entries(r, 1, 1, 3));
    assertThat(store.lastPosition(r)).contains(new Position(1, 3));
    appendNow(entries(r, 2, 4, 5));
    assertThat(store.lastPosition(r)).contains(new Position(2, 5));
    assertThat(store.readAfter(r, 2, 10))
        .containsExactly(entry(r, 1, 3), entry(r, 2, 4), entry(r, 2, 5));
  }

  @Test
  void oldestSeqTellsWhatWasTrimmed() {
    String r = room("trim");
    OptionalInt bound = maxEntriesPerRoom();
    int n = bound.isPresent() ? bound.getAsInt() + 7 : 40;
    appendNow(entries(r, 1, 1, 5));
    assertThat(store.oldestSeq(r)).isEqualTo(1);
    appendNow(entries(r, 1, 6, n));
    long expectedOldest = bound.isPresent() ? n - bound.getAsInt() + 1 : 1;
    assertThat(store.oldestSeq(r)).isEqualTo(expectedOldest);
    assertThat(seqs(store.readAfter(r, 0, 10_000))).isEqualTo(range(expectedOldest, n));
    assertThat(seqs(store.readBefore(r, expectedOldest + 2, 100))).isEqualTo(range(expectedOldest, expectedOldest + 1));
    assertThat(store.lastPosition(r)).contains(new Position(1, n));
  }

  @Test
  void roomsAreRecordedPerAdminAndTheirEpochNeverGoesBack() {
    NodeId n1 = node("n1");
    NodeId n2 = node("n2");
    store.saveRoom(room("b"), n1, 1);
    store.saveRoom(room("a"), n1, 1);
    store.saveRoom(room("a"), n1, 1); // idempotent
    store.saveRoom(room("c"), n2, 4);
    assertThat(store.rooms(n1))
        .containsExactly(new StoredRoom(room("a"), n1, 1), new StoredRoom(room("b"), n1, 1));
    assertThat(store.rooms(n2)).containsExactly(new StoredRoom(room("c"), n2, 4));

    store.saveRoom(room("b"), n2, 2); // taken over at a newer epoch
    store.saveRoom(room("b"), n1, 1); // the stale admin cannot take it back
    assertThat(store.rooms(n1)).containsExactly(new StoredRoom(room("a"), n1, 1));
    assertThat(store.rooms(n2))
        .containsExactly(new StoredRoom(room("b"), n2, 2), new StoredRoom(room("c"), n2, 4));
  }

  @Test
  void deleteRoomForgetsTheRoomAndItsLog() {
    NodeId n1 = node("n1");
    String gone = room("gone");
    String kept = room("kept");
    store.saveRoom(gone, n1, 1);
    store.saveRoom(kept, n1, 1);
    appendNow(entries(gone, 1, 1, 4));
    appendNow(entries(kept, 1, 1, 2));
    store.deleteRoom(gone);
    assertThat(store.rooms(n1)).containsExactly(new StoredRoom(kept, n1, 1));
    assertThat(store.readAfter(gone, 0, 10)).isEmpty();
    assertThat(store.lastPosition(gone)).isEmpty();
    assertThat(store.oldestSeq(gone)).isZero();
    assertThat(seqs(store.readAfter(kept, 0, 10))).isEqualTo(range(1, 2));
    store.deleteRoom(room("never-existed")); // no error
  }

  @Test
  void aNewInstanceOnTheSameDatabaseSeesEverything() {
    assumeThat(survivesRestart()).as("store keeps nothing across restarts").isTrue();
    NodeId n1 = node("n1");
    String r = room("restart");
    store.saveRoom(r, n1, 2);
    appendNow(entries(r, 2, 1, 25));
    store.close();
    store = openStore();
    assertThat(store.rooms(n1)).containsExactly(new StoredRoom(r, n1, 2));
    assertThat(store.lastPosition(r)).contains(new Position(2, 25));
    assertThat(store.readAfter(r, 0, 100)).containsExactlyElementsOf(entries(r, 2, 1, 25));
    appendNow(entries(r, 2, 26, 27)); // continues after the last stored seq
    assertThat(store.lastPosition(r)).contains(new Position(2, 27));
  }

  @Test
  void concurrentAppendsToDifferentRoomsAreAllStoredInOrder() throws Exception {
    int rooms = 6;
    int perRoom = 200;
    int batch = 5;
    ExecutorService pool = Executors.newFixedThreadPool(rooms);
    try {
      List<Future<List<CompletableFuture<Void>>>> submitted = new ArrayList<>();
      for (int i = 0; i < rooms; i++) {
        String r = room("c" + i);
        submitted.add(
            pool.submit(
                () -> {
                  // one lane per room: appends issued in order without waiting for the previous one
                  List<CompletableFuture<Void>> futures = new ArrayList<>();
                  for (int s = 1; s <= perRoom; s += batch) {
                    futures.add(store.append(entries(r, 1, s, s + batch - 1)));
                  }
                  return futures;
                }));
      }
      for (Future<List<CompletableFuture<Void>>> f : submitted) {
        for (CompletableFuture<Void> append : f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
          append.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    int kept = Math.min(perRoom, maxEntriesPerRoom().orElse(Integer.MAX_VALUE));
    for (int i = 0; i < rooms; i++) {
      String r = room("c" + i);
      assertThat(seqs(store.readAfter(r, 0, 10_000))).isEqualTo(range(perRoom - kept + 1, perRoom));
      assertThat(store.lastPosition(r)).contains(new Position(1, perRoom));
    }
  }

  @Test
  void badArgumentsAreRejectedWithoutChangingAnything() {
    String r = room("bad");
    appendNow(entries(r, 1, 1, 2));
    assertBadRequest(() -> store.append(null).join(), "entries must not be null");
    assertBadRequest(() -> store.append(Arrays.asList(entry(r, 1, 3), null)).join(), "entries[1]");
    assertBadRequest(() -> store.append(List.of(entry(r, 1, 0))).join(), "seq 0");
    assertBadRequest(() -> store.append(List.of(entry(r, -1, 3))).join(), "negative epoch");
    assertBadRequest(
        () -> store.append(List.of(entry(r, 1, 4), entry(r, 1, 3))).join(), "ascending seq");
    assertBadRequest(() -> store.append(List.of(entry(" ", 1, 3))).join(), "room must not be blank");
    assertBadRequest(() -> store.readAfter(r, 0, 0), "limit");
    assertBadRequest(() -> store.readBefore(r, 5, -1), "limit");
    assertBadRequest(() -> store.readAfter(null, 0, 1), "room must not be null");
    assertBadRequest(() -> store.saveRoom(r, node("n1"), -2), "epoch");
    assertBadRequest(() -> store.saveRoom(r, null, 1), "admin");
    assertThat(seqs(store.readAfter(r, 0, 10))).isEqualTo(range(1, 2));
  }

  @Test
  void closeIsIdempotentAndLaterCallsAreUnavailable() throws Exception {
    store.close();
    store.close();
    CompletableFuture<Void> f = store.append(entries(room("closed"), 1, 1, 1));
    assertThatThrownBy(() -> f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
    assertThatThrownBy(() -> store.readAfter(room("closed"), 0, 1))
        .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
  }

  private static void assertBadRequest(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String detail) {
    assertThatThrownBy(call)
        .satisfies(
            t -> {
              ChatException e = ChatException.from(t);
              assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
              assertThat(e.detail()).contains(detail);
            });
  }
}
