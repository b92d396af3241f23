package io.chatmesh.history.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.spi.history.HistoryEntry;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.spi.history.HistoryStore.Position;
import io.chatmesh.spi.history.HistoryStore.StoredRoom;
import io.chatmesh.testkit.AbstractHistoryStoreTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Fencing at the storage: a {@link JdbcHistoryStore} built with {@code shared(true)} (every node
 * uses this database) refuses, in the transaction that would store them, entries of an epoch older
 * than the room's epoch recorded by {@code saveRoom}. The history contract runs over the shared
 * store too (it must still meet it). Two store instances on one database stand for two nodes. Run
 * by one subclass per database.
 */
abstract class AbstractSharedStoreFencingTest extends AbstractHistoryStoreTest {

  /** The history URL (any form {@link JdbcHistoryStore.Builder#url} takes) of the shared test database. */
  protected abstract String url();

  /** {@code jdbcUrl} with the database's lock wait limited to {@code millis} for its sessions. */
  protected abstract String withLockTimeout(String jdbcUrl, int millis);

  @Override
  protected HistoryStore openStore() {
    return JdbcHistoryStore.builder().url(url()).poolSize(3).shared(true).build();
  }

  /** The failure of {@code append}, which must fail. */
  private static ChatException failure(CompletableFuture<Void> append) {
    try {
      append.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return ChatException.from(e.getCause());
    } catch (Exception e) {
      throw new AssertionError("append did not complete", e);
    }
    throw new AssertionError("append succeeded but should have been refused");
  }

  private static void assertFenced(ChatException e, String room, long epoch, long seq, long recordedEpoch, NodeId admin) {
    assertThat(e.code()).isEqualTo(ErrorCode.NOT_ADMIN);
    assertThat(e.detail())
        .contains("'" + room + "'")
        .contains("epoch " + epoch + " seq " + seq)
        .contains("recorded epoch " + recordedEpoch)
        .contains(admin.value());
  }

  /** Room {@code r}: administered by n1 at epoch 1, seq 1..{@code stored} stored, then taken over by n2 at epoch 2. */
  private void takenOver(String r, long stored) {
    store.saveRoom(r, node("n1"), 1);
    appendNow(entries(r, 1, 1, stored));
    store.saveRoom(r, node("n2"), 2);
  }

  @Test
  void theBuilderSettingIsWhatTheStoreReports() {
    assertThat(store.shared()).isTrue();
    try (JdbcHistoryStore perNode = JdbcHistoryStore.builder().url(url()).build()) {
      assertThat(perNode.shared()).isFalse();
    }
  }

  @Test
  void aStaleEpochsAppendFailsNotAdminAfterANewerSaveRoomAndStoresNothing() {
    String r = room("stale");
    NodeId n2 = node("n2");
    takenOver(r, 3);

    assertFenced(failure(store.append(entries(r, 1, 4, 5))), r, 1, 4, 2, n2);
    assertThat(store.readAfter(r, 0, 10)).containsExactlyElementsOf(entries(r, 1, 1, 3));

    // the new admin continues at the seq the stale one was refused
    appendNow(entries(r, 2, 4, 5));
    assertThat(store.lastPosition(r)).contains(new Position(2, 5));
    assertThat(store.readAfter(r, 0, 10))
        .containsExactly(entry(r, 1, 1), entry(r, 1, 2), entry(r, 1, 3), entry(r, 2, 4), entry(r, 2, 5));
  }

  @Test
  void anOlderSaveRoomNeitherTakesTheRoomBackNorLiftsTheFence() {
    String r = room("back");
    NodeId n1 = node("n1");
    NodeId n2 = node("n2");
    store.saveRoom(r, n2, 5);
    store.saveRoom(r, n1, 4);
    assertThat(store.rooms(n1)).isEmpty();
    assertThat(store.rooms(n2)).containsExactly(new StoredRoom(r, n2, 5));
    assertFenced(failure(store.append(entries(r, 4, 1, 1))), r, 4, 1, 5, n2);
    assertThat(store.readAfter(r, 0, 10)).isEmpty();
    appendNow(entries(r, 5, 1, 1)); // the recorded epoch itself is accepted
    appendNow(entries(r, 6, 2, 2)); // and a newer one (an admin whose saveRoom is still on its way)
    assertThat(store.readAfter(r, 0, 10)).containsExactly(entry(r, 5, 1), entry(r, 6, 2));
  }

  @Test
  void twoNodesOnOneDatabaseTheNewAdminsSaveRoomFencesTheOldAdminsStore() {
    String r = room("nodes");
    NodeId n1 = node("n1");
    NodeId n2 = node("n2");
    try (HistoryStore second = openStore()) { // node n2's store
      store.saveRoom(r, n1, 1);
      appendNow(entries(r, 1, 1, 10));
      second.saveRoom(r, n2, 2); // n2 takes the room over and reads the log from the store
      assertThat(second.lastPosition(r)).contains(new Position(1, 10));

      assertFenced(failure(store.append(entries(r, 1, 11, 12))), r, 1, 11, 2, n2);
      second.append(entries(r, 2, 11, 12)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      assertFenced(failure(store.append(entries(r, 1, 13, 13))), r, 1, 13, 2, n2);

      List<HistoryEntry> expected = new ArrayList<>(entries(r, 1, 1, 10));
      expected.addAll(entries(r, 2, 11, 12));
      assertThat(store.readAfter(r, 0, 100)).containsExactlyElementsOf(expected);
      assertThat(second.readAfter(r, 0, 100)).containsExactlyElementsOf(expected);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /**
   * A saveRoom of a newer epoch caught between its update and its commit holds the room's row: an
   * append of the old epoch waits for it (here its lock waits time out after 100 ms and the whole
   * transaction is retried, as 40001 is) and, once the saveRoom committed, is refused. Without the
   * lock it would have read the old epoch and committed first.
   */
  @Test
  void anAppendWaitingForASaveRoomsLockSeesTheNewEpochOnceItCommitted() throws Exception {
    String r = room("wait");
    NodeId n1 = node("n1");
    NodeId n2 = node("n2");
    store.saveRoom(r, n1, 1);
    appendNow(entries(r, 1, 1, 1));
    String jdbcUrl = HistoryUrls.toJdbcUrl(url());
    try (JdbcHistoryStore impatient =
            JdbcHistoryStore.builder()
                .url(withLockTimeout(jdbcUrl, 100))
                .shared(true)
                .maxRetries(1_000)
                .retryBackoff(Duration.ofMillis(1), Duration.ofMillis(20))
                .build();
        Connection saving = DriverManager.getConnection(jdbcUrl)) {
      saving.setAutoCommit(false);
      try (PreparedStatement ps = saving.prepareStatement("UPDATE chatmesh_room SET admin_node = ?, epoch = 2 WHERE room = ?")) {
        ps.setString(1, n2.value());
        ps.setString(2, r);
        assertThat(ps.executeUpdate()).isEqualTo(1);
      }
      CompletableFuture<Void> stale = impatient.append(entries(r, 1, 2, 2));
      await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> stale.isDone() || impatient.stats().retries() >= 2);
      assertThat(stale).as("the append waits for the saveRoom's lock").isNotDone();
      saving.commit();
      assertFenced(failure(stale), r, 1, 2, 2, n2);
    }
    assertThat(store.readAfter(r, 0, 10)).containsExactly(entry(r, 1, 1));
  }

  @Test
  void reappendingAnEntryStoredBeforeTheNewEpochStaysANoOp() {
    String r = room("retry");
    NodeId n2 = node("n2");
    takenOver(r, 3);
    appendNow(entries(r, 1, 2, 3)); // a retry of entries already in the log: same key, no-op
    assertFenced(failure(store.append(entries(r, 1, 3, 4))), r, 1, 4, 2, n2); // seq 3 is fine, 4 is new
    assertThat(store.readAfter(r, 0, 10)).containsExactlyElementsOf(entries(r, 1, 1, 3));
  }

  @Test
  void aCallWithAFencedRoomStillStoresItsOtherRoomsEntries() {
    String fenced = room("fenced");
    String fine = room("fine");
    NodeId n2 = node("n2");
    takenOver(fenced, 0);
    store.saveRoom(fine, node("n1"), 1);
    CompletableFuture<Void> call =
        store.append(List.of(entry(fenced, 1, 1), entry(fine, 1, 1), entry(fenced, 1, 2), entry(fine, 1, 2)));
    ChatException e = failure(call);
    assertFenced(e, fenced, 1, 1, 2, n2);
    assertThat(e.detail()).doesNotContain(fine);
    assertThat(store.readAfter(fenced, 0, 10)).isEmpty();
    assertThat(store.readAfter(fine, 0, 10)).containsExactlyElementsOf(entries(fine, 1, 1, 2));
  }

  @Test
  void aRoomNotYetSavedTakesAppendsAndIsListedOnlyOnceSaved() {
    String r = room("unsaved");
    NodeId n1 = node("n1");
    NodeId n2 = node("n2");
    appendNow(entries(r, 1, 1, 2)); // the engine's first appends may overtake its saveRoom
    assertThat(store.rooms(n1)).isEmpty();
    store.saveRoom(r, n1, 1);
    assertThat(store.rooms(n1)).containsExactly(new StoredRoom(r, n1, 1));
    store.saveRoom(r, n2, 2);
    assertFenced(failure(store.append(entries(r, 1, 3, 3))), r, 1, 3, 2, n2);
    store.deleteRoom(r);
    assertThat(store.rooms(n2)).isEmpty();
    assertThat(store.readAfter(r, 0, 10)).isEmpty();
  }

  @Test
  void aStoreThatIsNotSharedStoresWhatItsNodeAppendsAsBefore() {
    String r = room("pernode");
    try (JdbcHistoryStore perNode = JdbcHistoryStore.builder().url(url()).build()) {
      perNode.saveRoom(r, node("n2"), 2);
      perNode.append(entries(r, 1, 1, 2)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS); // no check: the node fences
      assertThat(perNode.readAfter(r, 0, 10)).containsExactlyElementsOf(entries(r, 1, 1, 2));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /**
   * The fencing invariant under concurrency, for several rooms at once: an old admin (this store)
   * appends as fast as it can, several appends in flight, while a new admin on a second store
   * records a newer epoch ({@code saveRoom}) at a random moment and then reads the log. Once that
   * saveRoom returned, no entry of the old epoch may commit: the old epoch's entries in the final
   * log are exactly those the new admin read right after its saveRoom, every append the old admin
   * saw succeed is among them, every later one failed with NOT_ADMIN, and the new admin continues
   * the log without a gap. Half of the rooms were never recorded for the old admin, so there the
   * takeover's saveRoom races the appends to create the row.
   */
  @Test
  void noAppendOfAnOlderEpochCommitsOnceTheNewerSaveRoomCommitted() throws Exception {
    int rooms = 6;
    int inFlight = 8;
    long seed = System.nanoTime();
    Random random = new Random(seed);
    NodeId n1 = node("n1");
    NodeId n2 = node("n2");
    ExecutorService pool = Executors.newFixedThreadPool(2 * rooms);
    try (HistoryStore second = openStore()) {
      List<Future<StaleRun>> stale = new ArrayList<>();
      List<Future<List<HistoryEntry>>> takeovers = new ArrayList<>();
      List<String> names = new ArrayList<>();
      for (int i = 0; i < rooms; i++) {
        String r = room("race" + i);
        names.add(r);
        if (i % 2 == 0) { // the other rooms have no row until the takeover's saveRoom inserts it
          store.saveRoom(r, n1, 1);
        }
        CountDownLatch ackedEnough = new CountDownLatch(1 + random.nextInt(60));
        AtomicBoolean takenOver = new AtomicBoolean();
        stale.add(pool.submit(() -> appendUntilRefused(r, inFlight, ackedEnough, takenOver)));
        takeovers.add(
            pool.submit(
                () -> {
                  assertThat(ackedEnough.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
                  second.saveRoom(r, n2, 2);
                  List<HistoryEntry> seen = second.readAfter(r, 0, 100_000);
                  takenOver.set(true);
                  return seen;
                }));
      }
      for (int i = 0; i < rooms; i++) {
        String r = names.get(i);
        StaleRun run = stale.get(i).get(2 * TIMEOUT_SECONDS, TimeUnit.SECONDS);
        List<HistoryEntry> seenAfterSaveRoom = takeovers.get(i).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        String why = "room " + r + " (seed " + seed + ")";
        List<HistoryEntry> log = store.readAfter(r, 0, 100_000);
        assertThat(epochOne(log)).as("old-epoch entries committed after saveRoom(2) returned, " + why)
            .isEqualTo(epochOne(seenAfterSaveRoom));
        assertThat(epochOne(log)).as("the old admin's acked entries are exactly the stored ones, " + why)
            .isEqualTo(new ArrayList<>(run.acked));
        assertThat(run.refused).as("the old admin was refused, " + why).isNotEmpty();
        assertThat(run.refused.first()).as("refusals start right after the last ack, " + why)
            .isEqualTo(run.acked.isEmpty() ? 1 : run.acked.last() + 1);
        run.errors.values().forEach(e -> assertFenced(e, r, 1, run.refused.first(), 2, n2));
        long next = log.size() + 1L;
        second.append(entries(r, 2, next, next + 2)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        List<HistoryEntry> after = store.readAfter(r, 0, 100_000);
        assertThat(after.stream().map(HistoryEntry::seq).toList()).as("no gap, " + why)
            .isEqualTo(java.util.stream.LongStream.rangeClosed(1, next + 2).boxed().toList());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** What the old admin saw: the seqs it was acked and those refused (with the first error of each). */
  private record StaleRun(TreeSet<Long> acked, TreeSet<Long> refused, TreeMap<Long, ChatException> errors) {}

  /**
   * Appends one-entry calls of epoch 1 at seq 1, 2, ... with up to {@code inFlight} outstanding,
   * until one is refused, or (with a broken fence) well after the takeover; counts {@code
   * ackedEnough} down per ack.
   */
  private StaleRun appendUntilRefused(String r, int inFlight, CountDownLatch ackedEnough, AtomicBoolean takenOver)
      throws Exception {
    StaleRun run = new StaleRun(new TreeSet<>(), new TreeSet<>(), new TreeMap<>());
    List<CompletableFuture<Void>> window = new ArrayList<>();
    List<Long> windowSeqs = new ArrayList<>();
    long afterTakeover = 0;
    for (long seq = 1; run.refused.isEmpty() && afterTakeover < 200; seq++) {
      if (takenOver.get()) {
        afterTakeover++;
      }
      window.add(store.append(List.of(entry(r, 1, seq))));
      windowSeqs.add(seq);
      if (window.size() >= inFlight) {
        settle(run, window.remove(0), windowSeqs.remove(0), ackedEnough);
      }
    }
    while (!window.isEmpty()) {
      settle(run, window.remove(0), windowSeqs.remove(0), ackedEnough);
    }
    return run;
  }

  private static void settle(StaleRun run, CompletableFuture<Void> f, long seq, CountDownLatch ackedEnough) {
    try {
      f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      run.acked.add(seq);
      ackedEnough.countDown();
    } catch (ExecutionException e) {
      run.refused.add(seq);
      if (run.errors.isEmpty()) {
        run.errors.put(seq, ChatException.from(e.getCause()));
      }
    } catch (Exception e) {
      throw new AssertionError("append of seq " + seq + " did not complete", e);
    }
  }

  private static List<Long> epochOne(List<HistoryEntry> log) {
    return log.stream().filter(e -> e.epoch() == 1).map(HistoryEntry::seq).toList();
  }

  /**
   * Many saveRoom calls with shuffled epochs from two stores at once, on rooms not yet recorded
   * (so the first ones race to insert the row): afterwards each room holds the newest epoch with
   * its own admin, and a reader polling the rows meanwhile never sees the epoch go back or an
   * admin paired with another admin's epoch.
   */
  @Test
  void concurrentSaveRoomsKeepTheNewestEpochTogetherWithItsAdmin() throws Exception {
    int rooms = 3;
    int epochs = 30;
    long seed = System.nanoTime();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < rooms; i++) {
      names.add(room("save" + i));
    }
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try (HistoryStore second = openStore();
        Connection reader = DriverManager.getConnection(HistoryUrls.toJdbcUrl(url()))) {
      List<Callable<Void>> calls = new ArrayList<>();
      for (String r : names) {
        for (long e = 1; e <= epochs; e++) {
          long epoch = e;
          HistoryStore on = e % 2 == 0 ? store : second;
          calls.add(() -> {
            on.saveRoom(r, node("n" + epoch), epoch);
            return null;
          });
        }
      }
      Collections.shuffle(calls, new Random(seed));
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Void>> done = new ArrayList<>();
      for (Callable<Void> c : calls) {
        done.add(pool.submit(() -> {
          start.await();
          return c.call();
        }));
      }
      start.countDown();
      long[] lastSeen = new long[rooms];
      while (!done.stream().allMatch(Future::isDone)) {
        pollRows(reader, names, lastSeen, seed);
      }
      for (Future<Void> f : done) {
        f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      }
      pollRows(reader, names, lastSeen, seed);
      for (int i = 0; i < rooms; i++) {
        assertThat(lastSeen[i]).as("room %s (seed %d)", names.get(i), seed).isEqualTo(epochs);
      }
      assertThat(store.rooms(node("n" + epochs))).extracting(StoredRoom::room).containsExactlyElementsOf(names);
      for (long e = 1; e < epochs; e++) {
        assertThat(second.rooms(node("n" + e))).as("rooms of n%d (seed %d)", e, seed).isEmpty();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private void pollRows(Connection reader, List<String> names, long[] lastSeen, long seed) throws Exception {
    try (PreparedStatement ps = reader.prepareStatement("SELECT admin_node, epoch FROM chatmesh_room WHERE room = ?")) {
      for (int i = 0; i < names.size(); i++) {
        ps.setString(1, names.get(i));
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            continue;
          }
          long epoch = rs.getLong(2);
          assertThat(rs.getString(1)).as("admin of %s at epoch %d (seed %d)", names.get(i), epoch, seed)
              .isEqualTo(node("n" + epoch).value());
          assertThat(epoch).as("epoch of %s (seed %d)", names.get(i), seed).isGreaterThanOrEqualTo(lastSeen[i]);
          lastSeen[i] = epoch;
        }
      }
    }
  }
}
