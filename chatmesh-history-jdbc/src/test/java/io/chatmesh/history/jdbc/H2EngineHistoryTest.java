package io.chatmesh.history.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatMessage;
import io.chatmesh.ChatNode;
import io.chatmesh.JoinOptions;
import io.chatmesh.Joined;
import io.chatmesh.NodeId;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.AbstractHistoryClusterTest;
import io.chatmesh.testkit.Recorder;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's history suite with every node keeping its history in its own file-backed H2
 * database (group commit: appends complete later, on the store's writer thread), plus restart and
 * kill tests of the admin node.
 */
class H2EngineHistoryTest extends AbstractHistoryClusterTest {
  @TempDir Path dir;

  @Override
  protected @Nullable HistoryStore newStore(String name) {
    return JdbcHistoryStore.forUrl("h2:" + dir.resolve(name));
  }

  @Test
  void aRestartedAdminKeepsTheOwnerAndInvitationsOfAPrivateRoom() {
    InMemoryCluster c = cluster(2);
    result(c.node("n1").createRoom("secret", UserId.of("alice"), true));
    Room r2 = room(c.node("n2"), "secret");
    result(r2.invite(UserId.of("alice"), UserId.of("bob")));
    result(r2.invite(UserId.of("alice"), UserId.of("carol")));
    result(r2.uninvite(UserId.of("alice"), UserId.of("carol")));

    c.restart("n1");
    awaitUntil("n1 back", c::connected);
    awaitUntil("room restored", () -> c.node("n2").room("secret").isPresent());
    Room again = room(c.node("n2"), "secret");
    assertThat(failure(again.join(UserId.of("mallory"), new Recorder())).code()).isEqualTo(io.chatmesh.ErrorCode.FORBIDDEN);
    assertThat(failure(again.join(UserId.of("carol"), new Recorder())).code()).isEqualTo(io.chatmesh.ErrorCode.FORBIDDEN);
    result(again.join(UserId.of("bob"), new Recorder()));
    assertThat(failure(room(c.node("n1"), "secret").delete(UserId.of("bob"))).code()).isEqualTo(io.chatmesh.ErrorCode.FORBIDDEN);
    result(room(c.node("n1"), "secret").delete(UserId.of("alice")));
  }

  @Test
  void aRestartedAdminKeepsItsRoomsHistoryAndContinuesTheSequence() {
    InMemoryCluster c = cluster(2);
    result(c.node("n1").createRoom("general"));
    Room r2 = room(c.node("n2"), "general");
    Recorder bob = new Recorder();
    result(r2.join(UserId.of("bob"), bob));
    List<Sent> acked = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      acked.add(result(r2.send(UserId.of("bob"), "m" + i, "c" + i)));
    }
    long lastBefore = acked.get(acked.size() - 1).seq();

    c.restart("n1");
    awaitUntil("n1 back", c::connected);
    // the room is restored on its admin and announced; its members were not (they were connected
    // to the old process): bob is told he was removed and joins again, resuming where he was
    awaitUntil("bob told", () -> bob.of(RoomEvent.MemberLeft.class).stream().anyMatch(l -> l.reason() == RoomEvent.LeaveReason.REMOVED));
    Room again = room(c.node("n2"), "general");
    assertThat(again.admin()).isEqualTo(NodeId.of("n1"));
    assertThat(result(again.history(Long.MAX_VALUE, 100))).extracting(ChatMessage::text)
        .containsExactlyElementsOf(acked.stream().map(s -> "m" + acked.indexOf(s)).toList());
    Recorder resumed = new Recorder();
    Joined j = result(again.join(UserId.of("bob"), resumed, JoinOptions.resume(acked.get(0).epoch(), lastBefore - 3)));
    assertThat(j.epoch()).as("a restart keeps the room's epoch").isEqualTo(acked.get(0).epoch());
    assertThat(j.recovered()).isTrue();
    // the restored admin first ended bob's old membership in the log (NODE_FAILED at lastBefore + 1)
    assertThat(j.seq()).as("seq continues after the last stored one").isEqualTo(lastBefore + 2);
    awaitUntil("bob got his join", () -> resumed.seqs().contains(j.seq()));
    assertThat(resumed.texts()).containsExactly("m17", "m18", "m19");
    assertThat(resumed.of(RoomEvent.MemberLeft.class)).singleElement().satisfies(l -> {
      assertThat(l.seq()).isEqualTo(lastBefore + 1);
      assertThat(l.reason()).isEqualTo(RoomEvent.LeaveReason.NODE_FAILED);
    });
    // a retry of a message acked before the restart is still deduplicated
    Sent retry = result(again.send(UserId.of("bob"), "m19", "c19"));
    assertThat(retry.duplicate()).isTrue();
    assertThat(retry.seq()).isEqualTo(lastBefore);
    Sent next = result(again.send(UserId.of("bob"), "after restart", "c-new"));
    assertThat(next.seq()).isEqualTo(lastBefore + 3);
    assertThat(next.duplicate()).isFalse();
  }

  /**
   * What the twopc package documentation says of a durable store: the coordinator's decision log
   * is in memory, so a restarted admin answers ROLLBACK about a deletion it had not decided before
   * its crash, and the room it restores from the store stays, on every node.
   */
  @Test
  void aDeletionUndecidedWhenTheAdminCrashedIsRolledBackAndTheRestoredRoomStays() {
    InMemoryCluster c = cluster(3);
    InMemoryNetwork net = Objects.requireNonNull(c.network());
    result(c.node("n1").createRoom("general"));
    Recorder r2 = new Recorder();
    Recorder r3 = new Recorder();
    result(room(c.node("n2"), "general").join(user("u2"), r2));
    result(room(c.node("n3"), "general").join(user("u3"), r3));
    AtomicInteger votesToAdmin = new AtomicInteger();
    net.filter((from, to, env) -> { // the votes never reach n1: it crashes undecided, n2 and n3 in doubt
      if (env.message() instanceof io.chatmesh.wire.Vote && to.equals(c.node("n1").address())) {
        votesToAdmin.incrementAndGet();
        return false;
      }
      return true;
    });
    room(c.node("n1"), "general").delete();
    awaitUntil("both participants voted", () -> votesToAdmin.get() >= 2);
    c.crash("n1");
    awaitUntil("n2 told the room is unavailable", () -> !r2.of(RoomEvent.RoomUnavailable.class).isEmpty());
    awaitUntil("n3 told the room is unavailable", () -> !r3.of(RoomEvent.RoomUnavailable.class).isEmpty());
    net.filter(null);

    c.restart("n1");
    awaitUntil("n1 back", c::connected);
    awaitUntil("n2 told the room is available", () -> !r2.of(RoomEvent.RoomAvailable.class).isEmpty());
    awaitUntil("n3 told the room is available", () -> !r3.of(RoomEvent.RoomAvailable.class).isEmpty());
    assertThat(r2.of(RoomEvent.RoomDeleted.class)).isEmpty();
    assertThat(r3.of(RoomEvent.RoomDeleted.class)).isEmpty();
    for (String n : List.of("n1", "n2", "n3")) {
      assertThat(c.node(n).room("general")).as("room on " + n).isPresent();
    }
    // the in-doubt participants get ROLLBACK: the room takes joins and sends again, on every node
    Recorder again = new Recorder();
    awaitUntil("u2 told the restarted admin removed it", () -> r2.of(RoomEvent.MemberLeft.class).stream()
        .anyMatch(l -> l.reason() == RoomEvent.LeaveReason.REMOVED));
    // n2 refuses the join ("being deleted") until its in-doubt query is answered with ROLLBACK
    AtomicReference<CompletableFuture<Joined>> join = new AtomicReference<>(CompletableFuture.failedFuture(new Exception()));
    awaitUntil("n2 got ROLLBACK and u2 joins again", () -> {
      if (join.get().isCompletedExceptionally()) {
        join.set(room(c.node("n2"), "general").join(user("u2"), again));
      }
      return join.get().isDone() && !join.get().isCompletedExceptionally();
    });
    result(room(c.node("n3"), "general").join(user("u3b"), new Recorder()));
    result(room(c.node("n3"), "general").send(user("u3b"), "after the rolled-back deletion"));
    awaitUntil("u2 hears it", () -> again.texts().contains("after the rolled-back deletion"));
  }

  /**
   * SIGKILLs a child JVM whose admin node writes to H2 while four users (one on the admin, three
   * forwarded through a second node) send, then restarts an admin on the same database: every
   * message acked to a sender is in the history, none twice, and the sequence continues.
   */
  @Test
  void everyAckedMessageSurvivesKillMinus9OfTheAdminProcess(@TempDir Path tmp) throws Exception {
    String url = "h2:" + tmp.resolve("data");
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child =
        new ProcessBuilder(java, "-cp", classpath, KillTestNode.class.getName(), url, "kill")
            .redirectError(tmp.resolve("child.err").toFile())
            .start();
    Map<Long, String> acked = new HashMap<>();
    long start = System.nanoTime();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("ack ")) {
          String[] p = line.split(" ");
          acked.put(Long.parseLong(p[1]), p[2]);
          if (acked.size() >= 3000) {
            break;
          }
        }
        if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(90)) {
          break;
        }
      }
      child.destroyForcibly(); // SIGKILL: no shutdown hook, no close, no flush
      child.waitFor(30, TimeUnit.SECONDS);
    }
    assertThat(acked).as("acks seen before the kill (see %s/child.err)", tmp).isNotEmpty();
    long highestAcked = acked.keySet().stream().mapToLong(Long::longValue).max().orElse(0);

    // a new admin process (here: a new node in this JVM) on the same database
    try (InMemoryNetwork net = new InMemoryNetwork(1);
        ChatNode n1 = ChatNode.builder().nodeId("n1").transport(net.transport("n1")).history(JdbcHistoryStore.forUrl(url)).build().start()) {
      Room room = n1.room("kill").orElseThrow();
      long cursor = Long.MAX_VALUE;
      List<ChatMessage> page;
      List<ChatMessage> messages = new ArrayList<>();
      while (!(page = room.history(cursor, 1000).get(30, TimeUnit.SECONDS)).isEmpty()) {
        messages.addAll(0, page);
        cursor = page.get(0).seq();
      }
      Map<Long, String> bySeq = new HashMap<>();
      Set<String> cmids = new HashSet<>();
      int twice = 0;
      for (ChatMessage m : messages) {
        bySeq.put(m.seq(), m.clientMessageId());
        if (!cmids.add(m.clientMessageId())) {
          twice++;
        }
      }
      int lost = 0;
      for (Map.Entry<Long, String> a : acked.entrySet()) {
        if (!a.getValue().equals(bySeq.get(a.getKey()))) {
          lost++;
        }
      }
      UserId u = UserId.of("after");
      room.join(u, e -> {}).get(30, TimeUnit.SECONDS);
      Sent next = room.send(u, "after the kill").get(30, TimeUnit.SECONDS);
      long lastStored = messages.isEmpty() ? 0 : messages.get(messages.size() - 1).seq();
      System.out.printf(
          "engine kill test (H2): acked %d messages (highest seq %d) before SIGKILL of the admin process; history holds %d"
              + " messages (last seq %d); acked but lost %d; stored twice %d; first seq after restart %d%n",
          acked.size(), highestAcked, messages.size(), lastStored, lost, twice, next.seq());
      assertThat(lost).as("acked messages missing from the history").isZero();
      assertThat(twice).as("messages stored twice").isZero();
      assertThat(messages.size()).isGreaterThanOrEqualTo(acked.size());
      assertThat(next.seq()).as("the sequence continues, never reusing a seq").isGreaterThan(lastStored);
    }
  }
}
