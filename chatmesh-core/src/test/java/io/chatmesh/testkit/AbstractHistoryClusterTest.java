package io.chatmesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chatmesh.ChatException;
import io.chatmesh.ChatMessage;
import io.chatmesh.ChatNode;
import io.chatmesh.ErrorCode;
import io.chatmesh.JoinOptions;
import io.chatmesh.Joined;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.history.InMemoryHistoryStore;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.time.ManualClock;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * History behaviour of the engine (history on join, resume, paging, the durability rule), written
 * once and run with different history stores by near-empty subclasses. All nodes share a {@link
 * ManualClock}; waits advance it, nothing sleeps.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
public abstract class AbstractHistoryClusterTest {
  protected final ManualClock clock = new ManualClock();
  private final ClockDriver driver = new ClockDriver(clock, Duration.ofSeconds(45), Duration.ofMillis(5));
  private @Nullable InMemoryCluster cluster;
  protected final Map<String, HistoryStore> stores = new HashMap<>();

  /** The history store for node {@code name}, or null for the default (bounded in-memory) one. */
  protected abstract @Nullable HistoryStore newStore(String name);

  @AfterEach
  void closeCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  protected InMemoryCluster cluster(int nodes, BiConsumer<String, ChatNode.Builder> extra) {
    cluster =
        InMemoryCluster.builder()
            .nodes(nodes)
            .clock(clock)
            .seed(7)
            .configure(b -> b.heartbeatInterval(Duration.ofMillis(50))
                .failureTimeout(Duration.ofMillis(2000))
                .requestTimeout(Duration.ofMillis(2000))
                .prepareTimeout(Duration.ofMillis(1000)))
            .configureNode((name, b) -> {
              HistoryStore s = newStore(name);
              if (s != null) {
                stores.put(name, s);
                b.history(s);
              }
              extra.accept(name, b);
            })
            .build()
            .start();
    awaitUntil("cluster connected", cluster::connected);
    return cluster;
  }

  protected InMemoryCluster cluster(int nodes) {
    return cluster(nodes, (n, b) -> {});
  }

  /** Polls {@code condition}, advancing the shared clock by 20 ms per poll (so timers fire). */
  protected void awaitUntil(String what, BooleanSupplier condition) {
    driver.awaitUntil(what, condition);
  }

  /** Waits for a future while advancing the clock (so retries and timeouts can fire). */
  protected <T> T result(CompletableFuture<T> f) {
    return driver.result(f);
  }

  /** Waits for a future to fail and returns its ChatException. */
  protected ChatException failure(CompletableFuture<?> f) {
    return driver.failure(f);
  }

  protected Room room(ChatNode node, String name) {
    return driver.room(node, name);
  }

  protected static UserId user(String name) {
    return UserId.of(name);
  }

  /** Seq of every sequenced event the recorder got, in delivery order. */
  protected static List<Long> seqs(Recorder r) {
    return r.seqs();
  }

  /** Asserts {@code r} got exactly the seqs {@code from..to}, each once, in order. */
  protected static void assertContiguous(String who, Recorder r, long from, long to) {
    List<Long> expected = new ArrayList<>();
    for (long s = from; s <= to; s++) {
      expected.add(s);
    }
    assertThat(r.seqs()).as(who + " sees every seq from " + from + " to " + to + " once, in order").isEqualTo(expected);
  }

  // ================================================================ history on join

  @Test
  void joiningWithHistoryWhileOthersSendGetsStoredThenLiveEntriesWithoutGapOrDuplicate() throws Exception {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Recorder reference = new Recorder();
    result(room(c.node("n1"), "general").join(user("ref"), reference));
    result(room(c.node("n2"), "general").join(user("s2"), new Recorder()));
    result(room(c.node("n3"), "general").join(user("s3"), new Recorder()));

    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger acked = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<Future<Integer>> senders = new ArrayList<>();
    for (String n : List.of("n2", "n3")) {
      Room r = room(c.node(n), "general");
      UserId who = user("s" + n.substring(1));
      senders.add(pool.submit(() -> {
        int i = 0;
        while (!stop.get() && i < 5000) {
          r.send(who, who + ":" + i, who + "-" + i).get(20, TimeUnit.SECONDS);
          acked.incrementAndGet();
          i++;
        }
        return i;
      }));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> acked.get() >= 40);
    // joins on the admin node and on both other nodes, with each kind of history, while sends go on
    Recorder sinceZero = new Recorder();
    Recorder sinceTen = new Recorder();
    Recorder last = new Recorder();
    CompletableFuture<Joined> j1 = room(c.node("n1"), "general").join(user("late1"), sinceZero, JoinOptions.since(0));
    CompletableFuture<Joined> j2 = room(c.node("n2"), "general").join(user("late2"), sinceTen, JoinOptions.since(10));
    CompletableFuture<Joined> j3 = room(c.node("n3"), "general").join(user("late3"), last, JoinOptions.last(25));
    Joined joined1 = j1.get(30, TimeUnit.SECONDS);
    Joined joined2 = j2.get(30, TimeUnit.SECONDS);
    Joined joined3 = j3.get(30, TimeUnit.SECONDS);
    int atJoin = acked.get();
    await().atMost(Duration.ofSeconds(30)).until(() -> acked.get() >= atJoin + 40);
    stop.set(true);
    int sent = 0;
    for (Future<Integer> f : senders) {
      sent += f.get(30, TimeUnit.SECONDS);
    }
    pool.shutdown();
    long lastSeq = 3 + 3 + sent; // 3 early joins, 3 late joins, the messages
    for (Recorder r : List.of(reference, sinceZero, sinceTen, last)) {
      awaitUntil("everything delivered", () -> !r.seqs().isEmpty() && r.seqs().get(r.seqs().size() - 1) == lastSeq);
    }
    assertContiguous("reference", reference, 1, lastSeq);
    assertContiguous("since(0) on the admin node", sinceZero, 1, lastSeq);
    assertContiguous("since(10)", sinceTen, 11, lastSeq);
    assertContiguous("last(25)", last, joined3.seq() - 25, lastSeq);
    for (Joined j : List.of(joined1, joined2, joined3)) {
      assertThat(j.recovered()).isTrue();
      assertThat(j.seq()).as("joined while messages were being sent").isGreaterThan(40);
    }
    // what history delivered is exactly what the live stream delivered to the reference member
    Map<Long, String> byRef = new HashMap<>();
    reference.messages().forEach(m -> byRef.put(m.seq(), m.text()));
    for (Recorder r : List.of(sinceZero, sinceTen, last)) {
      for (ChatMessage m : r.messages()) {
        assertThat(m.text()).isEqualTo(byRef.get(m.seq()));
      }
      assertThat(r.of(RoomEvent.MessagesLost.class)).isEmpty();
    }
    assertThat(joined1.seq()).isNotEqualTo(joined2.seq());
  }

  @Test
  void resumeOnAnotherNodeGetsExactlyWhatWasMissed() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Room r1 = room(c.node("n1"), "general");
    result(r1.join(user("alice"), new Recorder()));
    Recorder first = new Recorder();
    result(room(c.node("n2"), "general").join(user("bob"), first));
    for (int i = 0; i < 5; i++) {
      result(r1.send(user("alice"), "seen " + i));
    }
    awaitUntil("bob saw them", () -> first.texts().size() == 5);
    ChatMessage lastSeen = first.messages().get(4);
    // bob's connection drops (his node removes him), messages go on, he reconnects through n3
    result(room(c.node("n2"), "general").leave(user("bob")));
    for (int i = 0; i < 7; i++) {
      result(r1.send(user("alice"), "missed " + i));
    }
    Recorder again = new Recorder();
    Joined j = result(room(c.node("n3"), "general").join(user("bob"), again, JoinOptions.resume(lastSeen.epoch(), lastSeen.seq())));
    assertThat(j.recovered()).isTrue();
    result(r1.send(user("alice"), "live"));
    awaitUntil("bob gets the live message", () -> again.texts().contains("live"));
    assertContiguous("resumed bob", again, lastSeen.seq() + 1, j.seq() + 1);
    assertThat(again.texts()).containsExactly("missed 0", "missed 1", "missed 2", "missed 3", "missed 4", "missed 5", "missed 6", "live");
    assertThat(again.of(RoomEvent.MemberLeft.class)).extracting(RoomEvent.MemberLeft::user).containsExactly(user("bob"));

    // a resume from another epoch (another log) is answered honestly: not recovered, no history
    Recorder carol = new Recorder();
    Joined other = result(room(c.node("n2"), "general").join(user("carol"), carol, JoinOptions.resume(99, 3)));
    assertThat(other.recovered()).isFalse();
    awaitUntil("carol sees her join", () -> !carol.seqs().isEmpty());
    assertThat(carol.seqs()).containsExactly(other.seq());
    // a resume from a seq this log has not reached yet is not recovered either
    Recorder dave = new Recorder();
    Joined ahead = result(room(c.node("n3"), "general").join(user("dave"), dave, JoinOptions.since(1_000)));
    assertThat(ahead.recovered()).isFalse();
  }

  @Test
  void aRoomCreatedAgainHasANewEpochSoAResumeFromTheDeletedRoomIsNotRecovered() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("again"));
    Room first = room(c.node("n2"), "again");
    result(first.join(user("alice"), new Recorder()));
    Sent lastSeen = null;
    for (int i = 0; i < 3; i++) {
      lastSeen = result(first.send(user("alice"), "old " + i));
    }
    result(room(c.node("n1"), "again").delete());
    awaitUntil("room gone everywhere", () -> c.nodes().stream().allMatch(n -> n.room("again").isEmpty()));
    result(c.node("n1").createRoom("again")); // the same admin node, the same name
    Room second = room(c.node("n2"), "again");
    Joined alice = result(second.join(user("alice"), new Recorder()));
    assertThat(alice.epoch()).as("a new creation has a new epoch").isGreaterThan(lastSeen.epoch());
    for (int i = 0; i < 5; i++) {
      result(second.send(user("alice"), "new " + i));
    }
    awaitUntil("every node lists the new epoch", () -> c.nodes().stream()
        .allMatch(n -> n.rooms().stream().anyMatch(s -> s.name().equals("again") && s.epoch() == alice.epoch())));
    Recorder bob = new Recorder();
    Joined resumed = result(room(c.node("n3"), "again").join(user("alice2"), bob, JoinOptions.resume(lastSeen.epoch(), lastSeen.seq())));
    assertThat(resumed.epoch()).isEqualTo(alice.epoch());
    assertThat(resumed.recovered()).as("a position in the deleted room is not one in the new room").isFalse();
    awaitUntil("the resumed member sees its join", () -> !bob.seqs().isEmpty());
    assertThat(bob.texts()).as("no entry of the new room is delivered as if missed").isEmpty();
    assertThat(bob.seqs()).containsExactly(resumed.seq());
  }

  @Test
  void anAdminRestartEndsTheMembershipsOfItsOldProcessInTheLog() {
    HistoryStore adminStore = keptOpen(InMemoryHistoryStore.create()); // survives the restart
    InMemoryCluster c = cluster(3, (n, b) -> {
      if (n.equals("n1")) {
        b.history(adminStore);
      }
    });
    result(c.node("n1").createRoom("lasting"));
    Recorder bob = new Recorder();
    result(room(c.node("n2"), "lasting").join(user("bob"), bob));
    Room r3 = room(c.node("n3"), "lasting");
    result(r3.join(user("alice"), new Recorder()));
    result(r3.send(user("alice"), "before"));
    c.restart("n1");
    awaitUntil("n1 back", c::connected);
    awaitUntil("bob told", () -> bob.of(RoomEvent.MemberLeft.class).stream().anyMatch(l -> l.reason() == RoomEvent.LeaveReason.REMOVED));
    result(room(c.node("n2"), "lasting").join(user("bob"), new Recorder()));
    Recorder carol = new Recorder();
    Joined j = result(room(c.node("n3"), "lasting").join(user("carol"), carol, JoinOptions.since(0)));
    awaitUntil("carol has the whole log", () -> carol.seqs().contains(j.seq()));
    List<String> bobsMemberships = new ArrayList<>();
    for (RoomEvent e : carol.events()) {
      if (e instanceof RoomEvent.MemberJoined mj && mj.user().equals(user("bob"))) {
        bobsMemberships.add("joined");
      } else if (e instanceof RoomEvent.MemberLeft ml && ml.user().equals(user("bob"))) {
        bobsMemberships.add("left " + ml.reason());
      }
    }
    assertThat(bobsMemberships).as("the log ends bob's first membership before his second join")
        .containsExactly("joined", "left NODE_FAILED", "joined");
  }

  /** {@code store} with a no-op close, so a restarted node finds what its previous process stored. */
  private static HistoryStore keptOpen(HistoryStore store) {
    return (HistoryStore) Proxy.newProxyInstance(HistoryStore.class.getClassLoader(), new Class<?>[] {HistoryStore.class}, (p, m, args) -> {
      if (m.getName().equals("close")) {
        return null;
      }
      try {
        return m.invoke(store, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    });
  }

  @Test
  void historyPagesBackwardsThroughMessagesOnly() {
    InMemoryCluster c = cluster(2);
    result(c.node("n1").createRoom("general"));
    Room r1 = room(c.node("n1"), "general");
    result(r1.join(user("alice"), new Recorder()));
    for (int i = 0; i < 12; i++) {
      result(r1.send(user("alice"), "m" + i));
      if (i == 5) {
        result(room(c.node("n2"), "general").join(user("bob"), new Recorder())); // a join in the middle
      }
    }
    Room r2 = room(c.node("n2"), "general"); // served by the admin through the other node
    List<String> seen = new ArrayList<>();
    long before = Long.MAX_VALUE;
    List<Integer> pageSizes = new ArrayList<>();
    while (true) {
      List<ChatMessage> page = result(r2.history(before, 5));
      if (page.isEmpty()) {
        break;
      }
      pageSizes.add(page.size());
      assertThat(page).extracting(ChatMessage::seq).isSorted();
      List<String> texts = new ArrayList<>(page.stream().map(ChatMessage::text).toList());
      texts.addAll(seen);
      seen = texts;
      before = page.get(0).seq();
    }
    assertThat(pageSizes).containsExactly(5, 5, 2);
    List<String> all = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      all.add("m" + i);
    }
    assertThat(seen).isEqualTo(all);
    assertThat(failure(r2.history(0, 5)).code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(failure(r2.history(10, 0)).code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(failure(r2.history(10, 1001)).code()).isEqualTo(ErrorCode.BAD_REQUEST);
  }

  @Test
  void everyAckedMessageIsStoredAndDeletionForgetsTheHistory() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("doomed"));
    Room r2 = room(c.node("n2"), "doomed");
    result(r2.join(user("bob"), new Recorder()));
    ConcurrentLinkedQueue<Long> acked = new ConcurrentLinkedQueue<>();
    List<CompletableFuture<Sent>> sends = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      sends.add(r2.send(user("bob"), "m" + i, "c" + i));
    }
    sends.forEach(f -> acked.add(result(f).seq()));
    Room r1 = room(c.node("n1"), "doomed");
    assertThat(result(r1.history(Long.MAX_VALUE, 100))).extracting(ChatMessage::seq).containsExactlyElementsOf(acked);
    result(r1.delete());
    awaitUntil("room gone", () -> c.node("n3").room("doomed").isEmpty());
    result(c.node("n2").createRoom("doomed"));
    Room again = room(c.node("n3"), "doomed");
    assertThat(result(again.history(Long.MAX_VALUE, 100))).isEmpty();
  }
}
