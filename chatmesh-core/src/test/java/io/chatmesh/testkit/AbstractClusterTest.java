package io.chatmesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chatmesh.ChatException;
import io.chatmesh.ChatMessage;
import io.chatmesh.ChatNode;
import io.chatmesh.ErrorCode;
import io.chatmesh.Joined;
import io.chatmesh.NodeId;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.RoomInfo;
import io.chatmesh.RoomSummary;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.time.ManualClock;
import io.chatmesh.transport.faults.FaultInjector;
import io.chatmesh.transport.faults.Faults;
import io.chatmesh.wire.Decision;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.Prepare;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.SendRequest;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.Vote;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The cluster behaviour suite, written once and run over every transport by near-empty subclasses
 * ({@code InMemoryClusterTest}, {@code GrpcClusterTest}). All nodes share a {@link ManualClock}:
 * waits advance it a little per poll, and failure-detection tests advance it past the timeout, so
 * no test sleeps. Every node's transport is decorated by one {@link FaultInjector} (seeded, with
 * delays on the shared clock), so the fault tests run over every transport.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class AbstractClusterTest {
  protected static final Duration HEARTBEAT = Duration.ofMillis(50);
  protected static final Duration FAILURE_TIMEOUT = Duration.ofMillis(2000);
  protected static final Duration REQUEST_TIMEOUT = Duration.ofMillis(2000);
  protected static final Duration PREPARE_TIMEOUT = Duration.ofMillis(1000);

  protected final ManualClock clock = new ManualClock();
  private final ClockDriver driver = new ClockDriver(clock, Duration.ofSeconds(30), Duration.ofMillis(10));
  private final FaultInjector faults = new FaultInjector(7, clock);
  private TransportFixture fixture;
  private InMemoryCluster cluster;

  /** The transport under test. */
  protected abstract TransportFixture newFixture();

  @AfterEach
  void closeCluster() {
    if (cluster != null) {
      cluster.close();
    }
    if (fixture != null) {
      fixture.close();
    }
  }

  protected InMemoryCluster cluster(int nodes) {
    fixture = newFixture();
    cluster =
        InMemoryCluster.builder()
            .nodes(nodes)
            .clock(clock)
            .transports(name -> faults.wrap(name, fixture.create(name)), fixture::crash)
            .configure(b -> b.heartbeatInterval(HEARTBEAT)
                .failureTimeout(FAILURE_TIMEOUT)
                .requestTimeout(REQUEST_TIMEOUT)
                .prepareTimeout(PREPARE_TIMEOUT)
                .resendBufferSize(1000))
            .build()
            .start();
    awaitUntil("cluster connected", cluster::connected);
    return cluster;
  }

  /** The fault injector decorating every node's transport; nodes are named n1, n2, ... */
  protected FaultInjector faults() {
    return faults;
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

  // ================================================================ 1. discovery

  @Test
  void nodesDiscoverEachOtherAndALateNodeLearnsExistingRooms() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("alpha"));
    result(c.node("n2").createRoom("beta"));
    ChatNode n4 = c.addNode("n4");
    awaitUntil("n4 connected", c::connected);
    awaitUntil("n4 lists both rooms", () -> n4.rooms().size() == 2);
    assertThat(n4.rooms()).extracting(RoomSummary::name, s -> s.admin().value())
        .containsExactly(org.assertj.core.api.Assertions.tuple("alpha", "n1"), org.assertj.core.api.Assertions.tuple("beta", "n2"));
    for (ChatNode n : c.nodes()) {
      awaitUntil(n.id() + " lists both rooms", () -> n.rooms().size() == 2);
      assertThat(n.liveNodes()).hasSize(3);
    }
  }

  // ================================================================ 2. unique names

  @Test
  void aSecondRoomWithTheSameNameIsRefusedAnywhere() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    ChatException e = failure(c.node("n3").createRoom("general"));
    assertThat(e.code()).isEqualTo(ErrorCode.ROOM_EXISTS);
    assertThat(e.getMessage()).contains("general");
    for (ChatNode n : c.nodes()) {
      awaitUntil("room listed", () -> n.rooms().size() == 1);
      assertThat(n.rooms().get(0).admin()).isEqualTo(NodeId.of("n1"));
    }
  }

  @Test
  void twoNodesRacingForOneNameEndWithExactlyOneRoom() {
    InMemoryCluster c = cluster(3);
    for (int round = 0; round < 5; round++) {
      String name = "race-" + round;
      CompletableFuture<Room> a = c.node("n2").createRoom(name);
      CompletableFuture<Room> b = c.node("n3").createRoom(name);
      awaitUntil("both finished", () -> a.isDone() && b.isDone());
      List<CompletableFuture<Room>> ok = new ArrayList<>();
      for (CompletableFuture<Room> f : List.of(a, b)) {
        if (!f.isCompletedExceptionally()) {
          ok.add(f);
        } else {
          assertThat(failure(f).code()).isEqualTo(ErrorCode.ROOM_EXISTS);
        }
      }
      assertThat(ok).as("exactly one creator wins round " + round).hasSize(1);
      NodeId winner = ok.get(0).join().admin();
      for (ChatNode n : c.nodes()) {
        awaitUntil("all agree on " + name, () -> n.room(name).map(r -> r.admin().equals(winner)).orElse(false));
      }
    }
  }

  // ================================================================ 3. ordering

  @Test
  void sendsFromEveryNodeAreSeenInOneIdenticalOrder() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Map<String, Recorder> recorders = joinOnePerNode(c, "general");
    List<CompletableFuture<Sent>> sends = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      int node = 1 + i % 3;
      sends.add(room(c.node("n" + node), "general").send(user("u" + node), "m" + i));
    }
    sends.forEach(this::result);
    assertIdenticalOrder(recorders, 30);
  }

  @Test
  void orderSurvivesDroppedDuplicatedAndReorderedMessages() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Map<String, Recorder> recorders = joinOnePerNode(c, "general");
    faults().faults(Faults.builder().drop(0.15).duplicate(0.15).reorder(0.3, Duration.ofMillis(3)).build());
    List<CompletableFuture<Sent>> sends = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      int node = 2 + i % 2; // non-admin nodes: every message takes the forward hop
      sends.add(room(c.node("n" + node), "general").send(user("u" + node), "m" + i, "cid-" + i));
    }
    Set<Long> seqs = new HashSet<>();
    for (CompletableFuture<Sent> s : sends) {
      seqs.add(result(s).seq());
    }
    assertThat(seqs).as("every message sequenced exactly once").hasSize(60);
    assertIdenticalOrder(recorders, 60);
    assertThat(faults().droppedCount()).isPositive();
  }

  // ================================================================ 3b. flow control

  @Test
  void theAdminHoldsSendsWhileAMemberLinkIsCongestedAndLosesNothing() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Map<String, Recorder> recorders = joinOnePerNode(c, "general");
    faults().stall("n1", "n3"); // n3's link from the admin is congested: n1 must not sequence into it
    AtomicInteger arrived = countSendRequests("n2", "n1");
    List<CompletableFuture<Sent>> sends = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      sends.add(room(c.node("n2"), "general").send(user("u2"), "m" + i, "c-" + i));
    }
    // a user on the admin's own node retries with the same client id while both are held
    CompletableFuture<Sent> local = room(c.node("n1"), "general").send(user("u1"), "local", "local-1");
    CompletableFuture<Sent> localAgain = room(c.node("n1"), "general").send(user("u1"), "local", "local-1");
    awaitUntil("the sends reached the admin", () -> arrived.get() >= 40);
    letTimePass("the admin had time to act on them");
    assertThat(sends).as("held, not sequenced, while the link is congested").noneMatch(CompletableFuture::isDone);
    assertThat(local).isNotDone();
    assertThat(recorders.get("n2").messages()).as("nothing broadcast meanwhile").isEmpty();
    faults().unstall("n1", "n3");
    Sent l1 = result(local);
    Sent l2 = result(localAgain);
    assertThat(l2.seq()).as("the local retry gets the original seq").isEqualTo(l1.seq());
    assertThat(l2.duplicate()).isTrue();
    List<Long> seqs = new ArrayList<>();
    for (CompletableFuture<Sent> f : sends) {
      Sent sent = result(f);
      assertThat(sent.duplicate()).as("a forward retry of a held send is not a second message").isFalse();
      seqs.add(sent.seq());
    }
    assertThat(seqs).as("sequenced in the order they were sent").isSorted().doesNotHaveDuplicates();
    assertIdenticalOrder(recorders, 41);
    assertThat(recorders.get("n3").texts()).filteredOn(t -> t.startsWith("m"))
        .containsExactlyElementsOf(IntStream.range(0, 40).mapToObj(i -> "m" + i).toList());
  }

  @Test
  void aNodeHoldsItsForwardsWhileTheLinkToTheAdminIsCongested() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Map<String, Recorder> recorders = joinOnePerNode(c, "general");
    faults().stall("n2", "n1");
    AtomicInteger forwarded = countSendRequests("n2", "n1");
    Room r2 = room(c.node("n2"), "general");
    List<CompletableFuture<Sent>> sends = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      sends.add(r2.send(user("u2"), "m" + i, "c-" + i));
    }
    letTimePass("the node had time to act on them");
    assertThat(forwarded.get()).as("nothing forwarded into the congested link").isZero();
    assertThat(sends).noneMatch(CompletableFuture::isDone);
    faults().unstall("n2", "n1");
    awaitUntil("every send answered", () -> sends.stream().allMatch(CompletableFuture::isDone));
    assertThat(sends.stream().map(f -> f.join().seq()).toList()).as("in send order").isSorted().doesNotHaveDuplicates();
    assertIdenticalOrder(recorders, 30);
    assertThat(recorders.get("n3").texts()).containsExactlyElementsOf(IntStream.range(0, 30).mapToObj(i -> "m" + i).toList());
  }

  /** Counts the SendRequests that enter the network from {@code from} to {@code to} (also into a stalled link). */
  private AtomicInteger countSendRequests(String from, String to) {
    AtomicInteger n = new AtomicInteger();
    faults().filter((f, t, env) -> {
      if (f.equals(from) && t.equals(to) && env.message() instanceof SendRequest) {
        n.incrementAndGet();
      }
      return true;
    });
    return n;
  }

  /** 15 polls of real and clock time for the lanes to act, timers (re-checks, retries) included. */
  private void letTimePass(String what) {
    int[] polls = {0};
    awaitUntil(what, () -> ++polls[0] >= 15);
  }

  @Test
  void aBurstLargerThanTheForwardWindowIsSequencedCompletelyInSendOrder() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Map<String, Recorder> recorders = joinOnePerNode(c, "general");
    int n = 3_000; // more than the 1,024 sends a node forwards per room at a time
    Room r2 = room(c.node("n2"), "general");
    List<CompletableFuture<Sent>> sends = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sends.add(r2.send(user("u2"), "m" + i, "c-" + i));
    }
    awaitUntil("every send answered", () -> sends.stream().allMatch(CompletableFuture::isDone));
    long previous = 0;
    for (CompletableFuture<Sent> f : sends) {
      long seq = result(f).seq();
      assertThat(seq).as("per-sender order").isGreaterThan(previous);
      previous = seq;
    }
    assertIdenticalOrder(recorders, n);
  }

  // ================================================================ 4. retries

  @Test
  void aRetryWithTheSameClientMessageIdIsSequencedOnce() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Map<String, Recorder> recorders = joinOnePerNode(c, "general");
    Room r2 = room(c.node("n2"), "general");
    Sent first = result(r2.send(user("u2"), "hello", "c-17"));
    Sent again = result(r2.send(user("u2"), "hello", "c-17"));
    Sent other = result(r2.send(user("u2"), "world", "c-18"));
    assertThat(first.duplicate()).isFalse();
    assertThat(again.duplicate()).isTrue();
    assertThat(again.seq()).isEqualTo(first.seq());
    assertThat(other.seq()).isEqualTo(first.seq() + 1);
    awaitUntil("delivered", () -> recorders.values().stream().allMatch(r -> r.texts().size() == 2));
    for (Recorder r : recorders.values()) {
      assertThat(r.texts()).containsExactly("hello", "world");
    }
  }

  // ================================================================ 5. membership

  @Test
  void joinsAndLeavesAreAnnouncedAndANewMemberSeesOnlyLaterMessages() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Recorder alice = new Recorder();
    Room r1 = room(c.node("n1"), "general");
    Joined aj = result(r1.join(user("alice"), alice));
    assertThat(aj.members()).containsExactly(user("alice"));
    result(r1.send(user("alice"), "before bob"));

    Recorder bob = new Recorder();
    Room r2 = room(c.node("n2"), "general");
    Joined bj = result(r2.join(user("bob"), bob));
    assertThat(bj.members()).containsExactly(user("alice"), user("bob"));
    assertThat(bj.seq()).isEqualTo(3); // alice joined at 1, her message is 2
    result(r1.send(user("alice"), "after bob"));

    awaitUntil("bob sees alice's second message", () -> bob.texts().contains("after bob"));
    assertThat(bob.texts()).containsExactly("after bob");
    assertThat(bob.of(RoomEvent.MemberJoined.class)).extracting(RoomEvent.MemberJoined::user).containsExactly(user("bob"));
    awaitUntil("alice sees bob join", () -> alice.of(RoomEvent.MemberJoined.class).size() == 2);

    result(r2.leave(user("bob")));
    awaitUntil("alice sees bob leave", () -> alice.of(RoomEvent.MemberLeft.class).size() == 1);
    RoomEvent.MemberLeft left = alice.of(RoomEvent.MemberLeft.class).get(0);
    assertThat(left.user()).isEqualTo(user("bob"));
    assertThat(left.reason()).isEqualTo(RoomEvent.LeaveReason.LEFT);
    RoomInfo info = result(r2.info());
    assertThat(info.members()).containsExactly(user("alice"));
    assertThat(failure(r2.send(user("bob"), "gone")).code()).isEqualTo(ErrorCode.NOT_MEMBER);
    assertThat(alice.seqs()).isSorted();
  }

  @Test
  void aUserMovingToAnotherNodeIsDeliveredToAfterItsOldLeaveArrivesLate() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Recorder carol = new Recorder();
    result(room(c.node("n3"), "general").join(user("carol"), carol)); // n3 is a member node already
    result(room(c.node("n2"), "general").join(user("dave"), new Recorder()));
    // dave's LEFT entry (from his session on n2) is lost once on its way to n3: n3 gets it by resend,
    // after dave's new session on n3 is registered
    AtomicInteger droppedLeft = new AtomicInteger();
    faults().filter((from, to, env) -> !(to.equals("n3") && env.message() instanceof Sequenced s
        && s.kind() == EventKind.LEFT && droppedLeft.getAndIncrement() == 0));
    result(room(c.node("n2"), "general").leave(user("dave")));
    Recorder dave = new Recorder();
    Room r3 = room(c.node("n3"), "general");
    Joined joined = result(r3.join(user("dave"), dave));
    assertThat(droppedLeft.get()).isPositive();
    result(r3.send(user("carol"), "welcome back"));
    awaitUntil("carol sees her message", () -> carol.texts().contains("welcome back"));
    awaitUntil("dave's new session sees it", () -> dave.texts().contains("welcome back"));
    assertThat(dave.of(RoomEvent.MemberJoined.class)).extracting(RoomEvent.MemberJoined::seq).containsExactly(joined.seq());
    assertThat(dave.of(RoomEvent.MemberLeft.class)).isEmpty();
    assertThat(result(r3.send(user("dave"), "hi")).seq()).isPositive();
  }

  @Test
  void aFirstJoinerWhoseEntryAndReplyAreLostIsDeliveredToFromItsJoin() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Recorder alice = new Recorder();
    result(room(c.node("n1"), "general").join(user("alice"), alice));
    // n3 has no member yet; the JOINED entry of its first joiner and the join's reply are lost once
    AtomicInteger droppedEntry = new AtomicInteger();
    AtomicInteger droppedReply = new AtomicInteger();
    faults().filter((from, to, env) -> {
      if (!to.equals("n3")) {
        return true;
      }
      if (env.message() instanceof Sequenced s && s.kind() == EventKind.JOINED && s.user().equals(user("u1"))) {
        return droppedEntry.getAndIncrement() > 0;
      }
      if (env.message() instanceof Reply && droppedEntry.get() > 0) {
        return droppedReply.getAndIncrement() > 0;
      }
      return true;
    });
    Room r3 = room(c.node("n3"), "general");
    Recorder u1 = new Recorder();
    CompletableFuture<Joined> first = r3.join(user("u1"), u1);
    awaitUntil("u1's entry and reply lost", () -> droppedReply.get() > 0);
    Recorder u2 = new Recorder();
    Joined second = result(r3.join(user("u2"), u2)); // its entry starts n3's delivery
    Joined firstJoined = result(first); // answered by the retry of the join
    assertThat(firstJoined.seq()).isLessThan(second.seq());
    result(room(c.node("n1"), "general").send(user("alice"), "hello"));
    awaitUntil("u2 sees the message", () -> u2.texts().contains("hello"));
    awaitUntil("u1 sees the message", () -> u1.texts().contains("hello"));
    assertThat(u1.seqs()).as("u1 gets the log from its own join, gapless")
        .startsWith(firstJoined.seq(), second.seq()).isSorted().doesNotHaveDuplicates();
    assertThat(u1.of(RoomEvent.MessagesLost.class)).isEmpty();
  }

  @Test
  void aRetriedJoinAnsweredWhileItsNodeLagsGetsNothingFromBeforeItsJoin() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Recorder alice = new Recorder();
    result(room(c.node("n1"), "general").join(user("alice"), alice));
    Room r3 = room(c.node("n3"), "general");
    Recorder u0 = new Recorder();
    result(r3.join(user("u0"), u0)); // n3's delivery is running
    // n3 lags: alice's "before" does not reach it (nor its resends) until u1's join is answered;
    // u1's JOINED entry and the first reply to its join are lost once, so a retry answers the join
    AtomicInteger droppedEntry = new AtomicInteger();
    AtomicInteger droppedReply = new AtomicInteger();
    java.util.concurrent.atomic.AtomicBoolean lagging = new java.util.concurrent.atomic.AtomicBoolean(true);
    faults().filter((from, to, env) -> {
      if (!to.equals("n3")) {
        return true;
      }
      if (env.message() instanceof Sequenced s && s.kind() == EventKind.MESSAGE && s.text().equals("before")) {
        return !lagging.get();
      }
      if (env.message() instanceof Sequenced s && s.kind() == EventKind.JOINED && s.user().equals(user("u1"))) {
        return droppedEntry.getAndIncrement() > 0;
      }
      if (env.message() instanceof Reply && droppedEntry.get() > 0) {
        return droppedReply.getAndIncrement() > 0;
      }
      return true;
    });
    long before = result(room(c.node("n1"), "general").send(user("alice"), "before")).seq();
    Recorder u1 = new Recorder();
    CompletableFuture<Joined> join = r3.join(user("u1"), u1);
    Joined joined = result(join); // answered by the retry, while n3 still waits for "before"
    assertThat(joined.seq()).isGreaterThan(before);
    lagging.set(false);
    result(room(c.node("n1"), "general").send(user("alice"), "after"));
    awaitUntil("u0 sees both messages", () -> u0.texts().containsAll(List.of("before", "after")));
    awaitUntil("u1 sees the later message", () -> u1.texts().contains("after"));
    assertThat(u1.texts()).as("u1 joined after 'before' was sent").containsExactly("after");
    assertThat(u1.seqs()).as("u1 gets the log from its own join, gapless")
        .startsWith(joined.seq()).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void aUserMovingToALaggingNodeIsNotEndedByItsOldSessionsEntries() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Room r1 = room(c.node("n1"), "general");
    Room r3 = room(c.node("n3"), "general");
    Recorder u0 = new Recorder();
    result(r3.join(user("u0"), u0)); // n3's delivery is running
    // n3 lags: no entry reaches it (nor a resend) until u3 has moved there
    java.util.concurrent.atomic.AtomicBoolean lagging = new java.util.concurrent.atomic.AtomicBoolean(true);
    faults().filter((from, to, env) -> !(to.equals("n3") && env.message() instanceof Sequenced && lagging.get()));
    result(r1.join(user("u3"), new Recorder()));
    result(r1.send(user("u3"), "old"));
    result(r1.leave(user("u3")));
    Recorder moved = new Recorder();
    Joined joined = result(r3.join(user("u3"), moved));
    lagging.set(false);
    result(r3.send(user("u0"), "after the move"));
    awaitUntil("u0 sees its message", () -> u0.texts().contains("after the move"));
    awaitUntil("the moved session sees it", () -> moved.texts().contains("after the move"));
    assertThat(moved.texts()).containsExactly("after the move");
    assertThat(moved.seqs()).startsWith(joined.seq()).isSorted().doesNotHaveDuplicates();
  }

  // ================================================================ 6. deletion (2PC)

  @Test
  void deletionCommitsEverywhereWhenAllAreReady() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("doomed"));
    Map<String, Recorder> recorders = joinOnePerNode(c, "doomed");
    result(room(c.node("n1"), "doomed").delete());
    for (Recorder r : recorders.values()) {
      awaitUntil("member told", () -> !r.of(RoomEvent.RoomDeleted.class).isEmpty());
    }
    for (ChatNode n : c.nodes()) {
      awaitUntil(n.id() + " forgot the room", () -> n.room("doomed").isEmpty());
    }

    // the name is free again
    result(c.node("n2").createRoom("doomed"));
  }

  @Test
  void deletionIsNotAllowedFromANonAdminNode() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    ChatException e = failure(room(c.node("n2"), "general").delete());
    assertThat(e.code()).isEqualTo(ErrorCode.NOT_ADMIN);
    assertThat(c.node("n2").room("general")).isPresent();
  }

  @Test
  void aNodeWithASendInFlightVotesAbortAndTheRoomStaysIntact() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Map<String, Recorder> recorders = joinOnePerNode(c, "general");
    faults().filter((from, to, env) -> !(env.message() instanceof SendRequest));
    CompletableFuture<Sent> stuck = room(c.node("n3"), "general").send(user("u3"), "in flight", "c-1");
    ChatException e = failure(room(c.node("n1"), "general").delete());
    assertThat(e.code()).isEqualTo(ErrorCode.ABORTED);
    assertThat(e.getMessage()).contains("in flight");
    faults().filter(null);
    Sent s = result(stuck);
    awaitUntil("everyone got it", () -> recorders.values().stream().allMatch(r -> r.texts().contains("in flight")));
    for (ChatNode n : c.nodes()) {
      assertThat(n.room("general")).isPresent();
    }
    assertThat(result(room(c.node("n2"), "general").send(user("u2"), "still here")).seq()).isEqualTo(s.seq() + 1);
    recorders.values().forEach(r -> assertThat(r.of(RoomEvent.RoomDeleted.class)).isEmpty());
  }

  @Test
  void aParticipantThatNeverAnswersMakesTheDeletionRollBack() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Map<String, Recorder> recorders = joinOnePerNode(c, "general");
    faults().filter((from, to, env) -> !(env.message() instanceof Vote && from.equals("n3")));
    ChatException e = failure(room(c.node("n1"), "general").delete());
    assertThat(e.code()).isEqualTo(ErrorCode.ABORTED);
    assertThat(e.getMessage()).contains("n3");
    faults().filter(null);
    // n3 voted READY and is in doubt until the ROLLBACK reaches it; then sends work again everywhere
    awaitUntil("room usable on n3 again", () -> {
      CompletableFuture<Sent> f = room(c.node("n3"), "general").send(user("u3"), "after", "after-" + System.nanoTime());
      awaitUntil("send done", f::isDone);
      return !f.isCompletedExceptionally();
    });
    awaitUntil("everyone got it", () -> recorders.values().stream().allMatch(r -> r.texts().contains("after")));
    recorders.values().forEach(r -> assertThat(r.of(RoomEvent.RoomDeleted.class)).isEmpty());
  }

  @Test
  void anInDoubtParticipantWhoseDecisionIsLostAsksAgainAndCommits() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Map<String, Recorder> recorders = joinOnePerNode(c, "general");
    java.util.concurrent.atomic.AtomicInteger lost = new java.util.concurrent.atomic.AtomicInteger();
    faults().filter((from, to, env) -> {
      if (env.message() instanceof Decision && to.equals("n3") && lost.getAndIncrement() == 0) {
        return false; // the first COMMIT for n3 is lost; n3 must ask the coordinator again
      }
      return true;
    });
    result(room(c.node("n1"), "general").delete());
    awaitUntil("n3 told", () -> !recorders.get("n3").of(RoomEvent.RoomDeleted.class).isEmpty());
    // n3 stays in doubt until it asks the coordinator again and gets the decision a second time
    awaitUntil("decision sent again after n3's query", () -> lost.get() >= 2);
    assertThat(recorders.get("n3").of(RoomEvent.RoomDeleted.class)).hasSize(1);
    for (ChatNode n : c.nodes()) {
      awaitUntil(n.id() + " forgot the room", () -> n.room("general").isEmpty());
    }
  }

  @Test
  void participantsDoNotHangWhenTheCoordinatorCrashesAfterPrepare() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Map<String, Recorder> recorders = joinOnePerNode(c, "general");
    CountDownLatch prepared = new CountDownLatch(2);
    // votes never reach n1, so it never decides; it crashes with n2 and n3 in doubt
    faults().filter((from, to, env) -> {
      if (env.message() instanceof Vote && to.equals("n1")) {
        prepared.countDown();
        return false;
      }
      return true;
    });
    CompletableFuture<Void> deletion = room(c.node("n1"), "general").delete();
    awaitUntil("both participants voted", () -> prepared.getCount() == 0);
    c.crash("n1");
    // while in doubt, sends are refused, not left hanging
    assertThat(failure(room(c.node("n2"), "general").send(user("u2"), "x")).code()).isEqualTo(ErrorCode.UNAVAILABLE);
    awaitDeclaredDead(c, "n1");
    for (String n : List.of("n2", "n3")) {
      Recorder r = recorders.get(n);
      awaitUntil(n + " told the room is unavailable", () -> !r.of(RoomEvent.RoomUnavailable.class).isEmpty());
      assertThat(r.of(RoomEvent.RoomDeleted.class)).isEmpty();
    }
    assertThat(deletion).isNotCompleted();
    // the admin comes back as a new incarnation without the room: everyone learns it is gone
    faults().filter(null);
    c.restart("n1");
    for (String n : List.of("n2", "n3")) {
      Recorder r = recorders.get(n);
      awaitUntil(n + " told the room is gone", () -> !r.of(RoomEvent.RoomDeleted.class).isEmpty());
      awaitUntil(n + " forgot the room", () -> c.node(n).room("general").isEmpty());
    }
  }

  // ================================================================ 7. failure detection

  @Test
  void aDeadMemberNodesUsersAreRemovedAndTheRoomIsTold() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Map<String, Recorder> recorders = joinOnePerNode(c, "general");
    c.crash("n3");
    awaitDeclaredDead(c, "n3");
    for (String n : List.of("n1", "n2")) {
      Recorder r = recorders.get(n);
      awaitUntil(n + " told u3 left", () -> !r.of(RoomEvent.MemberLeft.class).isEmpty());
      RoomEvent.MemberLeft left = r.of(RoomEvent.MemberLeft.class).get(0);
      assertThat(left.user()).isEqualTo(user("u3"));
      assertThat(left.reason()).isEqualTo(RoomEvent.LeaveReason.NODE_FAILED);
    }
    assertThat(result(room(c.node("n2"), "general").info()).members()).containsExactly(user("u1"), user("u2"));
    assertThat(c.node("n1").liveNodes()).doesNotContain(NodeId.of("n3"));
    // it comes back (a restart) and is seen alive again
    c.restart("n3");
    awaitUntil("n3 seen alive again", c::connected);
    Recorder again = new Recorder();
    result(room(c.node("n3"), "general").join(user("u3"), again));
    result(room(c.node("n3"), "general").send(user("u3"), "back"));
    awaitUntil("u1 hears it", () -> recorders.get("n1").texts().contains("back"));
  }

  @Test
  void usersOfANodeTheAdminNoLongerHearsAreToldTheyWereRemoved() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Map<String, Recorder> recorders = joinOnePerNode(c, "general");
    faults().cut("n3", "n1"); // one way: n3 still hears the admin, the admin no longer hears n3
    awaitUntil("the admin declares n3 dead", () -> !c.node("n1").liveNodes().contains(NodeId.of("n3")));
    awaitUntil("u1 told u3 left", () -> recorders.get("n1").of(RoomEvent.MemberLeft.class).stream().anyMatch(l -> l.user().equals(user("u3"))));
    awaitUntil("u3 told it is no longer a member", () -> recorders.get("n3").of(RoomEvent.MemberLeft.class).stream()
        .anyMatch(l -> l.user().equals(user("u3"))));
    RoomEvent.MemberLeft own = recorders.get("n3").of(RoomEvent.MemberLeft.class).stream().filter(l -> l.user().equals(user("u3"))).findFirst().orElseThrow();
    assertThat(own.reason()).isIn(RoomEvent.LeaveReason.NODE_FAILED, RoomEvent.LeaveReason.REMOVED);
    faults().restore("n3", "n1");
    awaitUntil("the admin hears n3 again", () -> c.node("n1").liveNodes().contains(NodeId.of("n3")));
    Recorder again = new Recorder();
    result(room(c.node("n3"), "general").join(user("u3"), again));
    result(room(c.node("n3"), "general").send(user("u3"), "back"));
    awaitUntil("u1 hears it", () -> recorders.get("n1").texts().contains("back"));
  }

  @Test
  void aDeadAdminMakesItsRoomsUnavailableAndSendsFailFast() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Map<String, Recorder> recorders = joinOnePerNode(c, "general");
    c.crash("n1");
    awaitDeclaredDead(c, "n1");
    for (String n : List.of("n2", "n3")) {
      Recorder r = recorders.get(n);
      awaitUntil(n + " told", () -> !r.of(RoomEvent.RoomUnavailable.class).isEmpty());
      assertThat(r.of(RoomEvent.RoomUnavailable.class).get(0).reason()).contains("n1");
    }
    CompletableFuture<Sent> f = room(c.node("n2"), "general").send(user("u2"), "hello?");
    // fails fast: completes while the clock stands still, so no remote wait or timeout was involved
    await("fails fast").atMost(Duration.ofSeconds(5)).until(f::isDone);
    assertThat(failure(f).code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(c.node("n2").rooms().get(0).available()).isFalse();
  }

  @Test
  void aPartitionedAdminThatComesBackMakesItsRoomAvailableAgain() {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("general"));
    Map<String, Recorder> recorders = joinOnePerNode(c, "general");
    faults().partition(Set.of("n1"), Set.of("n2", "n3"));
    awaitUntil("n1 and the others declare each other dead", () -> c.node("n1").liveNodes().isEmpty()
        && !c.node("n2").liveNodes().contains(NodeId.of("n1")) && !c.node("n3").liveNodes().contains(NodeId.of("n1")));
    awaitUntil("n2 told unavailable", () -> !recorders.get("n2").of(RoomEvent.RoomUnavailable.class).isEmpty());
    faults().heal();
    awaitUntil("n2 told available", () -> !recorders.get("n2").of(RoomEvent.RoomAvailable.class).isEmpty());
    // n1 had declared n2 and n3 dead and removed their users: they are told on resync
    awaitUntil("u2 told it was removed", () -> recorders.get("n2").of(RoomEvent.MemberLeft.class).stream()
        .anyMatch(l -> l.user().equals(user("u2"))));
    Recorder again = new Recorder();
    result(room(c.node("n2"), "general").join(user("u2"), again));
    result(room(c.node("n2"), "general").send(user("u2"), "back again"));
    awaitUntil("u1 hears it", () -> recorders.get("n1").texts().contains("back again"));
  }

  // ================================================================ 8. bad input

  @Test
  void badInputIsRefusedWithACodeAndLeavesStateUnchanged() {
    InMemoryCluster c = cluster(3);
    ChatNode n1 = c.node("n1");
    assertThat(failure(n1.createRoom(null)).code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(failure(n1.createRoom("  ")).code()).isEqualTo(ErrorCode.BAD_REQUEST);
    ChatException tooLong = failure(n1.createRoom("x".repeat(65)));
    assertThat(tooLong.code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(tooLong.getMessage()).contains("room name").contains("65");
    assertThat(failure(n1.createRoom("no spaces please")).code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(n1.rooms()).isEmpty();

    result(n1.createRoom("general"));
    Room r1 = room(n1, "general");
    Room r2 = room(c.node("n2"), "general");
    Recorder rec = new Recorder();
    result(r2.join(user("bob"), rec));
    result(r2.send(user("bob"), "ok"));
    RoomInfo before = result(r1.info());

    assertThat(failure(r2.send(user("bob"), "")).code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(failure(r2.send(user("bob"), "   ")).code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(failure(r2.send(user("bob"), null)).code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(failure(r2.send(null, "hi")).code()).isEqualTo(ErrorCode.BAD_REQUEST);
    ChatException big = failure(r2.send(user("bob"), "x".repeat(4097)));
    assertThat(big.code()).isEqualTo(ErrorCode.TOO_LARGE);
    assertThat(big.getMessage()).contains("4097");
    assertThat(failure(r2.send(user("carol"), "not joined")).code()).isEqualTo(ErrorCode.NOT_MEMBER);
    assertThat(failure(r1.send(user("bob"), "bob is on n2, not n1")).code()).isEqualTo(ErrorCode.NOT_MEMBER);
    assertThat(failure(r2.join(user("bob"), new Recorder())).code()).isEqualTo(ErrorCode.ALREADY_MEMBER);
    // bob through a second node too (another device): allowed, no new entry, and leaving there keeps him a member
    result(r1.join(user("bob"), new Recorder()));
    result(r1.leave(user("bob")));
    assertThat(failure(r2.join(user("zed"), null)).code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(failure(r2.leave(user("carol"))).code()).isEqualTo(ErrorCode.NOT_MEMBER);
    assertThat(failure(r2.delete()).code()).isEqualTo(ErrorCode.NOT_ADMIN);
    assertThat(c.node("n3").room("nope")).isEmpty();
    assertThat(c.node("n3").room(null)).isEmpty();

    RoomInfo after = result(r1.info());
    assertThat(after).isEqualTo(before);
    result(r2.send(user("bob"), "still fine"));
    awaitUntil("delivered", () -> rec.texts().size() == 2);
    assertThat(rec.texts()).containsExactly("ok", "still fine");
  }

  // ================================================================ 8b. one user, several nodes

  @Test
  void oneUserOnTwoNodesReceivesEverythingOnBothAndMemberEventsArePerUser() throws Exception {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("devices"));
    Room onN2 = room(c.node("n2"), "devices");
    Room onN3 = room(c.node("n3"), "devices");
    Room onN1 = room(c.node("n1"), "devices");
    Recorder laptop = new Recorder();
    Recorder phone = new Recorder();
    Recorder bob = new Recorder();
    result(onN1.join(user("bob"), bob));
    Joined first = result(onN2.join(user("alice"), laptop));
    // before: ALREADY_MEMBER, so whoever joined first as "alice" locked the real alice out
    Joined second = result(onN3.join(user("alice"), phone));
    assertThat(second.members()).containsExactlyInAnyOrder(user("alice"), user("bob"));
    assertThat(second.seq()).isGreaterThan(first.seq());

    result(onN1.send(user("bob"), "hi alice"));
    result(onN2.send(user("alice"), "from the laptop"));
    result(onN3.send(user("alice"), "from the phone"));
    awaitUntil("both devices got all three", () -> laptop.texts().size() == 3 && phone.texts().size() == 3);
    assertThat(laptop.texts()).containsExactly("hi alice", "from the laptop", "from the phone");
    assertThat(phone.texts()).containsExactly("hi alice", "from the laptop", "from the phone");
    awaitUntil("bob got all three", () -> bob.texts().size() == 3);
    // one MemberJoined for alice, not one per device
    assertThat(bob.of(RoomEvent.MemberJoined.class)).extracting(RoomEvent.MemberJoined::user).containsExactly(user("bob"), user("alice"));

    // the phone leaves: alice is still a member (through the laptop), nobody is told she left
    result(onN3.leave(user("alice")));
    result(onN1.send(user("bob"), "still there?"));
    awaitUntil("laptop got it", () -> laptop.texts().size() == 4);
    assertThat(bob.of(RoomEvent.MemberLeft.class)).isEmpty();
    assertThat(phone.texts()).hasSize(3);
    assertThat(failure(onN3.send(user("alice"), "gone")).code()).isEqualTo(ErrorCode.NOT_MEMBER);
    assertThat(result(onN1.info()).members()).contains(user("alice"));

    // the last device leaves: now one MemberLeft
    result(onN2.leave(user("alice")));
    awaitUntil("bob told once", () -> bob.of(RoomEvent.MemberLeft.class).size() == 1);
    assertThat(result(onN1.info()).members()).containsExactly(user("bob"));
  }

  @Test
  void aFailedNodeOnlyRemovesTheUserWhenItWasTheirLastNode() throws Exception {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("devices"));
    Recorder laptop = new Recorder();
    Recorder phone = new Recorder();
    result(room(c.node("n2"), "devices").join(user("alice"), laptop));
    result(room(c.node("n3"), "devices").join(user("alice"), phone));
    c.crash("n3");
    awaitDeclaredDead(c, "n3");
    Room onN1 = room(c.node("n1"), "devices");
    assertThat(result(onN1.info()).members()).containsExactly(user("alice"));
    result(room(c.node("n2"), "devices").send(user("alice"), "laptop still works"));
    awaitUntil("laptop got it", () -> laptop.texts().contains("laptop still works"));
    assertThat(laptop.of(RoomEvent.MemberLeft.class)).isEmpty();
  }

  // ================================================================ 8c. owners and private rooms (as a hostile user)

  @Test
  void onlyTheOwnerDeletesTheRoomEvenFromTheAdminNode() throws Exception {
    InMemoryCluster c = cluster(2);
    Room created = result(c.node("n1").createRoom("owned", user("alice"), false));
    Room onN1 = room(c.node("n1"), "owned");
    // mallory, connected to the admin node, is not the owner: refused (before: the room was deleted)
    ChatException refused = failure(onN1.delete(user("mallory")));
    assertThat(refused.code()).isEqualTo(ErrorCode.FORBIDDEN);
    assertThat(refused.getMessage()).contains("alice");
    assertThat(c.node("n2").room("owned")).isPresent();
    // nor may mallory edit the invitations, from any node
    assertThat(failure(room(c.node("n2"), "owned").invite(user("mallory"), user("eve"))).code()).isEqualTo(ErrorCode.FORBIDDEN);
    result(created.delete(user("alice")));
    awaitUntil("gone everywhere", () -> c.node("n2").room("owned").isEmpty());
  }

  @Test
  void aPrivateRoomIsJoinedOnlyByItsOwnerAndInvitedUsers() throws Exception {
    InMemoryCluster c = cluster(3);
    result(c.node("n1").createRoom("secret", user("alice"), true));
    Room onN2 = room(c.node("n2"), "secret");
    Room onN3 = room(c.node("n3"), "secret");
    Recorder alice = new Recorder();
    result(onN2.join(user("alice"), alice));
    // mallory is not invited: refused wherever she joins (before: she joined)
    ChatException refused = failure(onN3.join(user("mallory"), new Recorder()));
    assertThat(refused.code()).isEqualTo(ErrorCode.FORBIDDEN);
    assertThat(refused.getMessage()).contains("private");
    assertThat(failure(room(c.node("n1"), "secret").join(user("mallory"), new Recorder())).code()).isEqualTo(ErrorCode.FORBIDDEN);
    assertThat(failure(onN3.invite(user("mallory"), user("mallory"))).code()).isEqualTo(ErrorCode.FORBIDDEN);

    // the owner invites bob (from another node than the admin); bob joins and talks
    result(onN2.invite(user("alice"), user("bob")));
    result(onN2.invite(user("alice"), user("bob"))); // again: nothing changes
    Recorder bob = new Recorder();
    result(onN3.join(user("bob"), bob));
    result(onN3.send(user("bob"), "thanks for the invite"));
    awaitUntil("alice got it", () -> alice.texts().contains("thanks for the invite"));
    // ownership entries are no room events
    assertThat(alice.events()).allMatch(e -> e instanceof RoomEvent.MemberJoined || e instanceof ChatMessage);

    // withdrawn: carol was invited, then not; she cannot join
    result(onN2.invite(user("alice"), user("carol")));
    result(onN2.uninvite(user("alice"), user("carol")));
    assertThat(failure(onN3.join(user("carol"), new Recorder())).code()).isEqualTo(ErrorCode.FORBIDDEN);
  }

  // ================================================================ 9. concurrency

  @Test
  void manyUsersSendingConcurrentlyIntoSeveralRoomsSeeOneOrderPerRoom() throws Exception {
    InMemoryCluster c = cluster(3);
    List<String> roomNames = List.of("r1", "r2", "r3", "r4");
    for (int i = 0; i < roomNames.size(); i++) {
      result(c.node("n" + (1 + i % 3)).createRoom(roomNames.get(i)));
    }
    int usersPerNode = 3;
    int perUser = 25;
    Map<String, List<Recorder>> byRoom = new HashMap<>();
    for (String rn : roomNames) {
      for (ChatNode n : c.nodes()) {
        for (int u = 0; u < usersPerNode; u++) {
          Recorder r = new Recorder();
          result(room(n, rn).join(user(n.id() + "-u" + u), r));
          byRoom.computeIfAbsent(rn, k -> new ArrayList<>()).add(r);
        }
      }
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<CompletableFuture<Sent>> sends = java.util.Collections.synchronizedList(new ArrayList<>());
    List<java.util.concurrent.Future<?>> tasks = new ArrayList<>();
    for (String rn : roomNames) {
      for (ChatNode n : c.nodes()) {
        for (int u = 0; u < usersPerNode; u++) {
          UserId who = user(n.id() + "-u" + u);
          Room r = room(n, rn);
          tasks.add(pool.submit(() -> {
            for (int i = 0; i < perUser; i++) {
              sends.add(r.send(who, who + ":" + i));
            }
          }));
        }
      }
    }
    for (java.util.concurrent.Future<?> t : tasks) {
      t.get(30, TimeUnit.SECONDS);
    }
    pool.shutdown();
    for (CompletableFuture<Sent> s : List.copyOf(sends)) {
      result(s);
    }
    int expected = c.nodes().size() * usersPerNode * perUser;
    for (String rn : roomNames) {
      List<Recorder> rs = byRoom.get(rn);
      awaitUntil(rn + " delivered everywhere", () -> rs.stream().allMatch(r -> r.texts().size() == expected));
      // every member who joined before the first send sees the same messages in the same order
      List<Long> reference = rs.get(rs.size() - 1).messages().stream().map(ChatMessage::seq).toList();
      for (Recorder r : rs) {
        assertThat(r.messages().stream().map(ChatMessage::seq).toList()).isEqualTo(reference);
        assertThat(r.seqs()).isSorted().doesNotHaveDuplicates();
        // per-sender order is kept
        Map<String, Integer> last = new HashMap<>();
        for (String t : r.texts()) {
          String who = t.substring(0, t.indexOf(':'));
          int i = Integer.parseInt(t.substring(t.indexOf(':') + 1));
          Integer prev = last.put(who, i);
          assertThat(prev == null || prev < i).as("order of " + who).isTrue();
        }
      }
    }
  }

  // ================================================================ helpers

  /**
   * Advances the clock in small steps until every other running node has declared {@code name}
   * dead (the survivors keep heartbeating each other meanwhile, so only the crashed node goes).
   */
  protected void awaitDeclaredDead(InMemoryCluster c, String name) {
    NodeId dead = NodeId.of(name);
    awaitUntil("everyone declares " + name + " dead", () -> c.nodes().stream().allMatch(n -> !n.liveNodes().contains(dead)));
  }

  /** Joins user u{i} on node n{i} for every node; returns each user's recorder by node name. */
  protected Map<String, Recorder> joinOnePerNode(InMemoryCluster c, String roomName) {
    Map<String, Recorder> out = new java.util.LinkedHashMap<>();
    for (ChatNode n : c.nodes()) {
      String idx = n.id().value().substring(1);
      Recorder r = new Recorder();
      result(room(n, roomName).join(user("u" + idx), r));
      out.put(n.id().value(), r);
    }
    return out;
  }

  /** Every recorder got {@code count} messages, all in one identical order, without gap or duplicate. */
  protected void assertIdenticalOrder(Map<String, Recorder> recorders, int count) {
    for (Map.Entry<String, Recorder> e : recorders.entrySet()) {
      awaitUntil(e.getKey() + " got " + count + " messages", () -> e.getValue().messages().size() >= count);
    }
    Supplier<List<Long>> ref = () -> recorders.values().iterator().next().messages().stream().map(ChatMessage::seq).toList();
    List<Long> reference = ref.get();
    assertThat(reference).hasSize(count).doesNotHaveDuplicates().isSorted();
    for (Map.Entry<String, Recorder> e : recorders.entrySet()) {
      assertThat(e.getValue().messages().stream().map(ChatMessage::seq).toList()).as(e.getKey()).isEqualTo(reference);
      assertThat(e.getValue().messages().stream().map(ChatMessage::text).toList()).as(e.getKey())
          .isEqualTo(recorders.values().iterator().next().texts());
      List<Long> all = e.getValue().seqs();
      assertThat(all).as(e.getKey() + " log without gaps").isSorted().doesNotHaveDuplicates();
      for (int i = 1; i < all.size(); i++) {
        assertThat(all.get(i)).as(e.getKey() + " gapless").isEqualTo(all.get(i - 1) + 1);
      }
      assertThat(e.getValue().of(RoomEvent.MessagesLost.class)).isEmpty();
    }
  }
}
