package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatmesh.ChatMessage;
import io.chatmesh.RoomEvent;
import io.chatmesh.testkit.EtcdProcess;
import io.chatmesh.testkit.ExternalServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rooms survive their admin over real processes (issue 13, "end to end over real processes"):
 * three {@code Demo --node} JVMs with leases from a real etcd (in-memory history, replication
 * factor 3), and again with PostgreSQL leases and history; a room on n1 with WebSocket members on
 * every node; a burst of sends with client ids from n2 and n3; then n1's process is killed
 * ({@code kill -9}) or stopped with SIGTERM (the demo drains: a planned move) mid-burst. Checked:
 * every acked message is delivered exactly once, at its acked seq, in one order, to every member on
 * the surviving nodes, with no gap; they saw {@code unavailable} then {@code available} naming a
 * surviving node with a higher epoch; a retry of a message acked before the fault gets its original
 * seq; the nemesis {@link Checker} finds nothing; the room takes sends again within a bound. The
 * time from the signal to the first ack of the new admin is printed ("process failover: ...").
 *
 * <p>etcd: {@code /usr/bin/etcd} (Debian's etcd-server, installed by {@code .ci/run}); PostgreSQL:
 * {@code CHATMESH_PG_URL} as {@code .ci/postgres.sh start} exports it. A missing one skips its case
 * with the reason, except under CI ({@code CI=true}), where it fails.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ProcessFailoverTest {
  /** Failover by the lease lapsing: within this of the kill (lease 6 s + detection + takeover, on a loaded machine). */
  private static final Duration KILL_BOUND = Duration.ofSeconds(30);
  /**
   * A drain hands the room over without waiting for a lease to lapse: it must beat the least time
   * a kill's failover can take, the lease's remaining life at the kill (at least the demo's lease
   * duration 6 s minus its renew interval 2 s).
   */
  private static final Duration DRAIN_BOUND = Duration.ofSeconds(4);
  private static final String REPLAY = "mvn -B -o -pl examples -am verify -Dtest=ProcessFailoverTest "
      + "-Dsurefire.failIfNoSpecifiedTests=false -Dchatmesh.javadoc.skip=true";

  @TempDir Path tmp;

  @Test
  @ExtendWith(NeedsEtcd.class)
  void killOfTheAdminProcessWithEtcdLeasesLosesNoAckedMessage() throws Exception {
    try (EtcdProcess etcd = EtcdProcess.start()) {
      long ms = run("etcd", List.of("--leases", leases(etcd), "--replication-factor", "3"), ProcessFailover.Fault.KILL);
      assertThat(ms).as("kill -9 -> first ack of the new admin, ms").isLessThan(KILL_BOUND.toMillis());
    }
  }

  @Test
  @ExtendWith(NeedsPostgres.class)
  void killOfTheAdminProcessWithPostgresLeasesAndHistoryLosesNoAckedMessage() throws Exception {
    String url = postgresUrl();
    assertThat(url).as("CHATMESH_PG_URL (CI=true: .ci/run must start PostgreSQL with .ci/postgres.sh)").isNotNull();
    long ms = run("postgresql", List.of("--leases", url, "--history", url, "--replication-factor", "3"), ProcessFailover.Fault.KILL);
    assertThat(ms).as("kill -9 -> first ack of the new admin, ms").isLessThan(KILL_BOUND.toMillis());
  }

  @Test
  @ExtendWith(NeedsEtcd.class)
  void sigtermOfTheAdminProcessMovesItsRoomsWithoutWaitingForTheLease() throws Exception {
    try (EtcdProcess etcd = EtcdProcess.start()) {
      long ms = run("etcd", List.of("--leases", leases(etcd), "--replication-factor", "3"), ProcessFailover.Fault.TERM);
      assertThat(ms).as("SIGTERM -> first ack of the new admin, ms").isLessThan(DRAIN_BOUND.toMillis());
    }
  }

  /** One run: returns the milliseconds from the signal to the first ack of the new admin. */
  private long run(String backend, List<String> nodeArgs, ProcessFailover.Fault fault) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("nodes"));
    String room = "fo-" + Long.toString(System.currentTimeMillis(), 36); // unique in a shared database
    long started = System.nanoTime();
    ProcessFailover f = new ProcessFailover(dir, nodeArgs, room, REPLAY);
    try {
      f.setUp();
      f.startSending();
      Awaitility.await("40 acks before the fault").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
          .until(() -> f.acked() >= 40);
      int before = f.acked();
      f.fault(fault);
      Awaitility.await("10 acks of the new admin per sender").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
          .until(() -> f.senders.stream().allMatch(s -> s.newEpochAcks() >= 10));
      long ms = f.failoverMillis();
      f.stopSending();
      retryOfAnEarlyMessageGetsItsOriginalSeq(f);
      List<String> survivors = List.of("alice@n2", "bob@n3", "carol@n2");
      Awaitility.await("every acked message at every surviving member").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .until(() -> survivors.stream().allMatch(m -> messageIds(f.sessions.get(m)).containsAll(ackedIds(f))));
      Awaitility.await("n2 and n3 list " + room + " with the same new admin").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> {
            String a = f.listing("n2", false);
            return a != null && a.equals(f.listing("n3", false)) && a.matches("n[23]/true");
          });
      for (String n : List.of("n2", "n3")) {
        String[] l = f.listing(n, false).split("/");
        f.history.finalDirectory.add(new History.DirectoryEntry(n, room, l[0], Boolean.parseBoolean(l[1])));
      }
      f.history.frozen = true;
      System.out.printf(Locale.ROOT, "process failover (%s, %s of the admin n1): %d ms from the signal to the first ack of the new admin"
              + " (%s, epoch %d -> %d; members told 'unavailable' first: %s); %d messages acked (%d before the fault), %d failed attempts retried; run %d s%n",
          backend, fault == ProcessFailover.Fault.KILL ? "kill -9" : "SIGTERM", ms, newAdmin(f, "alice@n2"), f.firstEpoch,
          newEpoch(f, "alice@n2"), survivors.stream().map(m -> m + "=" + f.sessions.get(m).events.stream()
              .anyMatch(e -> e instanceof RoomEvent.RoomUnavailable)).toList(), ackedIds(f).size(), before, f.senders.stream().mapToInt(s -> s.failures.get()).sum(),
          TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
      check(f, survivors, fault);
      return ms;
    } catch (Throwable e) {
      System.out.println("process failover run failed; node logs:");
      for (String n : List.of("n1", "n2", "n3")) {
        System.out.println("--- " + n + " (" + f.nodes.log(n) + ")\n" + f.nodes.tail(n));
      }
      throw e;
    } finally {
      f.close();
    }
  }

  private static List<String> ackedIds(ProcessFailover f) {
    List<String> out = new ArrayList<>();
    f.senders.forEach(s -> out.addAll(s.acked.keySet()));
    return out;
  }

  private static List<String> messageIds(History.Session s) {
    List<String> out = new ArrayList<>();
    for (RoomEvent e : s.events) {
      if (e instanceof ChatMessage m) {
        out.add(m.clientMessageId());
      }
    }
    return out;
  }

  private static RoomEvent.@Nullable RoomAvailable available(ProcessFailover f, String member) {
    for (RoomEvent e : f.sessions.get(member).events) {
      if (e instanceof RoomEvent.RoomAvailable a) {
        return a;
      }
    }
    return null;
  }

  private static String newAdmin(ProcessFailover f, String member) {
    RoomEvent.RoomAvailable a = available(f, member);
    return a == null ? "no 'available' seen" : "new admin " + a.admin().value();
  }

  private static long newEpoch(ProcessFailover f, String member) {
    RoomEvent.RoomAvailable a = available(f, member);
    return a == null ? -1 : a.epoch();
  }

  /** The first message alice had acked before the fault, sent again with its client id: the original (epoch, seq), as a duplicate. */
  private static void retryOfAnEarlyMessageGetsItsOriginalSeq(ProcessFailover f) throws Exception {
    ProcessFailover.Sender alice = f.senders.get(0);
    String cid = alice.order.get(0);
    History.Op original = alice.acked.get(cid);
    History.Op op = f.history.invoke("send", alice.conn.node, alice.user, f.room, 1, "retry after the failover of op#" + original.id);
    op.text = cid;
    op.clientId = cid;
    op.retryOf = original;
    JsonNode r = alice.conn.request(alice.conn.frame("send").put("room", f.room).put("text", cid), cid,
        (reply, e) -> alice.conn.complete(op, reply, e)).get(WsConnection.TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
    assertThat(r.path("type").asText()).as("reply to the retry of %s: %s", cid, r).isEqualTo("ack");
    assertThat(original.epoch).as("acked before the fault, by n1").isEqualTo(f.firstEpoch);
    assertThat(new long[] {op.epoch, op.seq}).as("retry of %s after the failover: %s", cid, r).containsExactly(original.epoch, original.seq);
    assertThat(op.duplicate).as("the retry is reported a duplicate: %s", r).isTrue();
  }

  private static void check(ProcessFailover f, List<String> survivors, ProcessFailover.Fault fault) {
    Map<String, History.Op> acks = new HashMap<>();
    f.senders.forEach(s -> acks.putAll(s.acked));
    List<String> firstOrder = null;
    for (String member : survivors) {
      History.Session s = f.sessions.get(member);
      List<String> order = new ArrayList<>();
      Map<String, Integer> count = new HashMap<>();
      long prevSeq = s.join.seq - 1; // a stream starts with the member's own join
      long prevEpoch = f.firstEpoch;
      int unavailableAt = -1;
      int availableAt = -1;
      for (int i = 0; i < s.events.size(); i++) {
        RoomEvent e = s.events.get(i);
        if (e instanceof RoomEvent.RoomUnavailable && unavailableAt < 0) {
          unavailableAt = i;
        }
        if (e instanceof RoomEvent.RoomAvailable a && availableAt < 0) {
          availableAt = i;
          assertThat(a.admin().value()).as("%s: the new admin named by %s", member, a).isIn("n2", "n3");
          assertThat(a.epoch()).as("%s: the new epoch in %s", member, a).isGreaterThan(f.firstEpoch);
        }
        assertThat(e).as("%s: no message reported lost", member).isNotInstanceOf(RoomEvent.MessagesLost.class);
        long[] p = Checker.position(e);
        if (p == null) {
          continue;
        }
        assertThat(p[1]).as("%s: seq after %d (no gap, no reorder, no duplicate) at event %d %s", member, prevSeq, i, e).isEqualTo(prevSeq + 1);
        assertThat(p[0]).as("%s: epoch never goes back, at %s", member, e).isGreaterThanOrEqualTo(prevEpoch);
        prevSeq = p[1];
        prevEpoch = p[0];
        if (e instanceof ChatMessage m) {
          String cid = m.clientMessageId();
          History.Op ack = acks.get(cid);
          assertThat(ack).as("%s: delivered %s was acked", member, m).isNotNull();
          assertThat(new long[] {m.epoch(), m.seq()}).as("%s: %s delivered where acked (%s)", member, cid, ack)
              .containsExactly(ack.epoch, ack.seq);
          count.merge(cid, 1, Integer::sum);
          order.add(cid);
        }
      }
      assertThat(count.keySet()).as("%s got every acked message", member).containsAll(acks.keySet());
      assertThat(count.values()).as("%s got each message once", member).allMatch(n -> n == 1);
      assertThat(availableAt).as("%s was told the room is available again: %s", member, s.events).isGreaterThanOrEqualTo(0);
      if (fault == ProcessFailover.Fault.KILL) {
        assertThat(unavailableAt).as("%s was told the room is unavailable before it was available: %s", member, s.events)
            .isBetween(0, availableAt - 1);
      }
      if (firstOrder == null) {
        firstOrder = order;
      } else {
        assertThat(order).as("%s got the messages in the order of the others", member).isEqualTo(firstOrder);
      }
    }
    f.history.directoryConverged = true;
    assertThat(Checker.check(f.history)).as("the nemesis checker's anomalies").isEmpty();
  }

  /** The demo's {@code --leases} value for {@code etcd}: etcd://127.0.0.1:PORT. */
  private static String leases(EtcdProcess etcd) {
    return etcd.clientUrl().replace("http://", "etcd://");
  }

  static @Nullable String postgresUrl() {
    String u = System.getProperty("chatmesh.pg.url", System.getenv("CHATMESH_PG_URL"));
    if (u == null || u.isBlank()) {
      return null;
    }
    return u.startsWith("jdbc:") ? u.substring("jdbc:".length()) : u; // the demo's documented form: postgresql://...
  }

  /** Skips a case without {@code /usr/bin/etcd} (except under CI), with the reason. */
  static final class NeedsEtcd implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      return ExternalServer.condition(EtcdProcess.available(),
          "etcd process failover skipped: no " + EtcdProcess.BINARY + " (apt-get install etcd-server, as .ci/run does)", ProcessFailoverTest.class);
    }
  }

  /** Skips a case without {@code CHATMESH_PG_URL} (except under CI), with the reason. */
  static final class NeedsPostgres implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      return ExternalServer.condition(postgresUrl() != null,
          "PostgreSQL process failover skipped: CHATMESH_PG_URL is not set; run eval \"$(bash .ci/postgres.sh start)\" first",
          ProcessFailoverTest.class);
    }
  }
}
