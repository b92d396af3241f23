package io.chatmesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.chatmesh.ChatException;
import io.chatmesh.ChatNode;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.RoomSummary;
import io.chatmesh.UserId;
import io.chatmesh.history.InMemoryHistoryStore;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.time.ManualClock;
import io.chatmesh.transport.faults.FaultInjector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Unique room names across restarts and partitions (issue 10, "a known hole to close"): readiness
 * before creating, a majority for a creation, a split brain resolved by one rule, and a restarted
 * node's directory replacing what the others believed. Written once and run over every transport by
 * near-empty subclasses; tests that need partitions run only where the fixture has an in-memory
 * network. All nodes share a {@link ManualClock}; nothing sleeps.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
public abstract class AbstractUniqueNamesTest {
  protected static final Duration HEARTBEAT = Duration.ofMillis(50);
  protected static final Duration FAILURE_TIMEOUT = Duration.ofMillis(2000);

  protected final ManualClock clock = new ManualClock();
  private final ClockDriver driver = new ClockDriver(clock, Duration.ofSeconds(45), Duration.ofMillis(5));
  private @Nullable TransportFixture fixture;
  /** Decorates every node's transport, so the partition tests run over every transport. */
  private final FaultInjector faults = new FaultInjector(11, clock);
  private @Nullable InMemoryCluster cluster;

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

  private InMemoryCluster cluster(int nodes, BiConsumer<String, ChatNode.Builder> perNode) {
    TransportFixture f = newFixture();
    fixture = f;
    InMemoryCluster c =
        InMemoryCluster.builder()
            .nodes(nodes)
            .clock(clock)
            .transports(name -> faults.wrap(name, f.create(name)), f::crash)
            .configure(b -> b.heartbeatInterval(HEARTBEAT)
                .failureTimeout(FAILURE_TIMEOUT)
                .requestTimeout(Duration.ofMillis(2000))
                .prepareTimeout(Duration.ofMillis(1000)))
            .configureNode(perNode)
            .build()
            .start();
    cluster = c;
    driver.awaitUntil("cluster connected", c::connected);
    return c;
  }

  private InMemoryCluster cluster(int nodes) {
    return cluster(nodes, (n, b) -> {});
  }

  private FaultInjector network() {
    return faults;
  }

  private static NodeId id(String name) {
    return NodeId.of(name);
  }

  /** The admin of {@code room} as {@code node} lists it, if listed. */
  private static Optional<NodeId> adminOf(ChatNode node, String room) {
    return node.rooms().stream().filter(s -> s.name().equals(room)).map(RoomSummary::admin).findFirst();
  }

  private void awaitEveryNodeLists(InMemoryCluster c, String room, String admin) {
    for (ChatNode n : c.nodes()) {
      driver.awaitUntil(n.id() + " lists " + room + " administered by " + admin,
          () -> adminOf(n, room).equals(Optional.of(id(admin))));
    }
  }

  // ================================================================ restart before meeting peers

  /**
   * Defect (a) of issue 10: a node restarted without its state created a room whose name a live
   * node administers, before it had met its peers, and the cluster had two rooms of one name.
   */
  @Test
  void aRestartedNodeCannotCreateARoomWhoseNameALiveNodeAdministers() {
    InMemoryCluster c = cluster(3);
    awaitCreated(c.node("n1"), "room-a");
    awaitEveryNodeLists(c, "room-a", "n1");

    ChatNode n3 = c.restart("n3");
    ChatException refused = driver.failure(n3.createRoom("room-a")); // at once, as `--room room-a` did
    // not ready yet (names n3), or already told of room-a by a peer (names its admin n1)
    assertThat(refused.code()).isIn(ErrorCode.UNAVAILABLE, ErrorCode.ROOM_EXISTS);
    assertThat(refused.getMessage()).contains(refused.code() == ErrorCode.UNAVAILABLE ? "n3" : "n1");

    driver.awaitUntil("cluster connected again", c::connected);
    awaitEveryNodeLists(c, "room-a", "n1");
    // users joining through n1 and through n3 land in the same room
    Recorder u1 = new Recorder();
    Recorder u3 = new Recorder();
    driver.result(driver.room(c.node("n1"), "room-a").join(UserId.of("u1"), u1));
    Room via3 = driver.room(n3, "room-a");
    assertThat(via3.admin()).isEqualTo(id("n1"));
    driver.result(via3.join(UserId.of("u3"), u3));
    driver.result(via3.send(UserId.of("u3"), "one room"));
    driver.awaitUntil("u1 hears u3", () -> u1.texts().contains("one room"));
    // and n3 can create rooms once it has met its peers (and heard their directories)
    assertThat(awaitCreated(n3, "room-c").admin()).isEqualTo(id("n3"));
  }

  // ================================================================ readiness and majority

  @Test
  void aNodeWithoutSeedsIsReadyAtOnceSoAOneNodeClusterWorks() {
    InMemoryCluster c = cluster(1);
    ChatNode n1 = c.node("n1");
    assertThat(n1.isReady()).isTrue();
    assertThat(n1.ready()).isDone();
    assertThat(driver.result(n1.createRoom("solo")).admin()).isEqualTo(id("n1"));
  }

  @Test
  void aNodeThatHasNotMetItsSeedsIsNotReadyAndRefusesToCreateUntilItHas() {
    InMemoryCluster c = cluster(3);
    FaultInjector net = network();
    awaitCreated(c.node("n1"), "room-a");
    awaitEveryNodeLists(c, "room-a", "n1");

    net.partition(Set.of("n1", "n2"), Set.of("n3"));
    ChatNode n3 = c.restart("n3"); // comes back while it cannot reach its seeds n1 and n2
    CompletableFuture<Void> ready = n3.ready();
    ChatException refused = driver.failure(n3.createRoom("room-a"));
    assertThat(refused.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(refused.getMessage()).contains("node n3 has not yet met its seeds").contains("retry");
    long restartedAt = clock.millis();
    driver.awaitUntil("a second of greeting its seeds in vain", () -> clock.millis() - restartedAt >= 1000);
    assertThat(n3.isReady()).isFalse();
    assertThat(ready).isNotDone();
    assertThat(driver.failure(n3.createRoom("other")).code()).isEqualTo(ErrorCode.UNAVAILABLE);

    net.heal();
    driver.result(ready);
    assertThat(n3.isReady()).isTrue();
    assertThat(driver.failure(awaitAnswer(n3, "room-a")).code()).isEqualTo(ErrorCode.ROOM_EXISTS);
    assertThat(awaitCreated(n3, "room-c").admin()).isEqualTo(id("n3"));
    awaitEveryNodeLists(c, "room-a", "n1");
    awaitEveryNodeLists(c, "room-c", "n3");
  }

  @Test
  void aPartitionedMinorityCannotCreateRoomsButTheMajorityCan() {
    InMemoryCluster c = cluster(3);
    // a node vouches for names only once it heard the directory of every node it knows (V9): n2
    // must have heard n3's before the partition, else it rightly refuses (n3 may hold "general")
    awaitCreated(c.node("n2"), "warmup");
    FaultInjector net = network();
    net.partition(Set.of("n1", "n2"), Set.of("n3"));
    driver.awaitUntil("the sides declare each other dead", () -> c.node("n3").liveNodes().isEmpty()
        && !c.node("n1").liveNodes().contains(id("n3")) && !c.node("n2").liveNodes().contains(id("n3")));

    ChatException refused = driver.failure(c.node("n3").createRoom("general"));
    assertThat(refused.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(refused.getMessage()).contains("reaches 1 of the 3 nodes").contains("majority (2)");
    assertThat(driver.result(c.node("n2").createRoom("general")).admin()).isEqualTo(id("n2"));

    net.heal();
    driver.awaitUntil("healed", c::connected);
    awaitEveryNodeLists(c, "general", "n2");
    assertThat(c.nodes()).allSatisfy(n -> assertThat(n.rooms()).extracting(RoomSummary::name)
        .containsExactlyInAnyOrder("warmup", "general"));
  }

  /**
   * Creates {@code room} on {@code node}, asking again while it is refused UNAVAILABLE (the node
   * has not heard every known node's directory yet), until the clock-driven wait gives up.
   */
  private Room awaitCreated(ChatNode node, String room) {
    return awaitAnswer(node, room).join();
  }

  /**
   * Asks {@code node} to create {@code room} until the answer is not UNAVAILABLE (a node vouches
   * for names only once it heard the directory of every node it knows, V9); returns that answer.
   */
  private CompletableFuture<Room> awaitAnswer(ChatNode node, String room) {
    List<CompletableFuture<Room>> attempt = new ArrayList<>(List.of(node.createRoom(room)));
    driver.awaitUntil(node.id() + " answers the creation of " + room, () -> {
      CompletableFuture<Room> f = attempt.get(0);
      if (!f.isDone()) {
        return false;
      }
      if (!f.isCompletedExceptionally()
          || ChatException.from(f.handle((v, x) -> x).join()).code() != ErrorCode.UNAVAILABLE) {
        return true;
      }
      attempt.set(0, node.createRoom(room));
      return false;
    });
    return attempt.get(0);
  }

  @Test
  void aNodeThatSaidGoodbyeNoLongerCountsForTheMajority() {
    InMemoryCluster c = cluster(3);
    c.node("n2").close(); // leaves the cluster on purpose
    driver.awaitUntil("n2 is gone", () -> !c.node("n1").liveNodes().contains(id("n2")) && !c.node("n3").liveNodes().contains(id("n2")));
    c.crash("n3"); // and n3 fails: n1 alone knows itself and n3
    driver.awaitUntil("n3 declared dead", () -> c.node("n1").liveNodes().isEmpty());
    ChatException refused = driver.failure(c.node("n1").createRoom("general"));
    assertThat(refused.getMessage()).contains("reaches 1 of the 2 nodes it knows (n1, n3)");
  }

  // ================================================================ a restarted node's directory

  /**
   * Defect (b) of issue 10: a node restarted without the rooms it administered (in-memory history)
   * stayed listed as their admin on the other nodes for a long time, and joins failed with
   * UNKNOWN_ROOM. Its new incarnation's directory replaces what the others believed: the rooms
   * vanish within a few heartbeats and their members are told.
   */
  @Test
  void roomsARestartedNodeNoLongerHasVanishEverywhereAndTheirMembersAreTold() {
    InMemoryCluster c = cluster(3);
    // many directory updates from n3's first life (each creation is one)
    List<String> names = new ArrayList<>(List.of("room-c"));
    for (int i = 0; i < 25; i++) {
      names.add("c-" + i);
    }
    for (String name : names) {
      awaitCreated(c.node("n3"), name);
    }
    for (ChatNode n : c.nodes()) {
      driver.awaitUntil(n.id() + " lists n3's rooms", () -> n.rooms().size() == names.size());
    }
    Recorder u1 = new Recorder();
    Recorder u2 = new Recorder();
    driver.result(driver.room(c.node("n1"), "room-c").join(UserId.of("u1"), u1));
    driver.result(driver.room(c.node("n2"), "room-c").join(UserId.of("u2"), u2));

    long restartedAt = clock.millis();
    c.restart("n3"); // a new process: the default in-memory history kept nothing
    for (String n : List.of("n1", "n2")) {
      ChatNode node = c.node(n);
      driver.awaitUntil(n + " no longer lists n3's old rooms", () -> node.rooms().isEmpty());
    }
    long took = clock.millis() - restartedAt;
    assertThat(took).as("ms of clock time until the directory converged").isLessThan(FAILURE_TIMEOUT.toMillis());
    for (Recorder r : List.of(u1, u2)) {
      driver.awaitUntil("member told", () -> !r.of(RoomEvent.RoomDeleted.class).isEmpty());
    }
    assertThat(c.node("n1").room("room-c")).isEmpty();
    // the name is free again
    assertThat(awaitCreated(c.node("n1"), "room-c").admin()).isEqualTo(id("n1"));
    awaitEveryNodeLists(c, "room-c", "n1");
  }

  // ================================================================ split brain after a heal

  /**
   * Two live rooms of one name can still arise (here: the admin of "dup" is down while the other
   * nodes restart and forget it, create "dup" again, and the old admin comes back with its stored
   * room). Every node applies one rule (the higher epoch wins, then the lower admin node id). Every
   * creation takes a new, later epoch, so n3's room (created after n1's) stays: n1 drops the room
   * it restored (which has no members, they were connected to its previous process), and n3's
   * members stay where they are.
   */
  @Test
  void aSplitBrainFoundAfterAHealIsResolvedByOneRuleForTheLaterCreation() {
    InMemoryHistoryStore n1Store = InMemoryHistoryStore.create();
    InMemoryCluster c = cluster(3, (n, b) -> {
      if (n.equals("n1")) {
        b.history(new ControlledHistoryStore(n1Store)); // n1's rooms survive its restart
      }
    });
    awaitCreated(c.node("n1"), "dup");
    awaitEveryNodeLists(c, "dup", "n1");

    c.crash("n1");
    driver.awaitUntil("n1 declared dead", () -> c.nodes().stream().noneMatch(n -> n.liveNodes().contains(id("n1"))));
    c.restart("n2"); // n2 and n3 forget n1's room
    c.restart("n3");
    driver.awaitUntil("n2 and n3 connected", c::connected);
    assertThat(c.node("n2").rooms()).isEmpty();

    Room loser = driver.result(c.node("n3").createRoom("dup"));
    assertThat(loser.admin()).isEqualTo(id("n3"));
    Recorder bob = new Recorder();
    Recorder carol = new Recorder();
    driver.result(driver.room(c.node("n2"), "dup").join(UserId.of("bob"), bob));
    driver.result(driver.room(c.node("n3"), "dup").join(UserId.of("carol"), carol));

    c.restart("n1"); // comes back with its stored room "dup": two rooms of one name
    driver.awaitUntil("cluster connected", c::connected);
    awaitEveryNodeLists(c, "dup", "n3");
    // it stays converged, and users of every node land in the winner's room
    Recorder dave = new Recorder();
    Room via1 = driver.room(c.node("n1"), "dup");
    assertThat(via1.admin()).isEqualTo(id("n3"));
    driver.result(via1.join(UserId.of("dave"), dave));
    driver.result(driver.room(c.node("n2"), "dup").send(UserId.of("bob"), "still in the one room"));
    driver.awaitUntil("dave hears bob", () -> dave.texts().contains("still in the one room"));
    driver.awaitUntil("carol hears bob", () -> carol.texts().contains("still in the one room"));
    for (Recorder r : List.of(bob, carol)) {
      assertThat(r.of(RoomEvent.RoomDeleted.class)).as("the winner's members are not told anything").isEmpty();
    }
    awaitEveryNodeLists(c, "dup", "n3");
  }
}
