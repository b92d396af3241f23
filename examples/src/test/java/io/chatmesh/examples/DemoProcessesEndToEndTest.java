package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * End to end as deployed: three node PROCESSES started by the demo's one-node-per-process mode
 * ({@code Demo --node nX --peers ...}), talking gRPC to each other, with WebSocket clients on
 * different nodes checking the protocol; then the admin node's process is killed (SIGKILL) and its
 * room's members are told the room is unavailable; the others shut down cleanly on SIGINT (Ctrl-C).
 */
@Timeout(240)
class DemoProcessesEndToEndTest {
  private final Map<String, DemoCluster.Proc> procs = new HashMap<>();
  private final List<WsTestClient> clients = new ArrayList<>();

  private DemoCluster.Proc launch(String node, String... more) throws Exception {
    String classpath = System.getProperty("demo.classpath");
    assertThat(classpath).as("demo.classpath set by the pom").isNotBlank();
    List<String> cmd = new ArrayList<>(List.of(
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
        "-Xmx128m", "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
        "-cp", classpath, Demo.class.getName(),
        "--node", node, "--grpc-port", "0", "--ws-port", "0", "--failure-timeout-ms", "1500"));
    cmd.addAll(List.of(more));
    DemoCluster.Proc p = new DemoCluster.Proc(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    procs.put(node, p);
    p.ready.get(90, TimeUnit.SECONDS);
    return p;
  }

  private static int wsPort(DemoCluster.Proc p) throws Exception {
    return Integer.parseInt(p.ready.get().group(2));
  }

  private static String grpc(DemoCluster.Proc p) throws Exception {
    return p.ready.get().group(3);
  }

  private WsTestClient connect(DemoCluster.Proc p, String node, String user) throws Exception {
    WsTestClient c = new WsTestClient(wsPort(p));
    clients.add(c);
    JsonNode w = c.request("{\"type\":\"hello\",\"user\":\"" + user + "\"}");
    assertThat(w.path("type").asText()).isEqualTo("welcome");
    assertThat(w.path("node").asText()).isEqualTo(node);
    return c;
  }

  @AfterEach
  void stop() {
    clients.forEach(WsTestClient::close);
    for (DemoCluster.Proc p : procs.values()) {
      p.process.destroyForcibly();
    }
  }

  @Test
  void threeNodeProcessesServeTheWholeProtocol() throws Exception {
    DemoCluster.Proc n1 = launch("n1");
    DemoCluster.Proc n2 = launch("n2", "--peers", grpc(n1));
    DemoCluster.Proc n3 = launch("n3", "--peers", grpc(n1) + "," + grpc(n2));
    WsTestClient alice = connect(n1, "n1", "alice");
    WsTestClient bob = connect(n2, "n2", "bob");
    WsTestClient carol = connect(n3, "n3", "carol");

    // every node's room is visible everywhere: room-a@n1, room-b@n2, room-c@n3
    for (WsTestClient c : List.of(alice, bob, carol)) {
      await().atMost(Duration.ofSeconds(20)).until(() -> {
        List<String> rooms = new ArrayList<>();
        for (JsonNode r : c.request("{\"type\":\"rooms\"}").path("rooms")) {
          rooms.add(r.path("room").asText() + "@" + r.path("admin").asText());
        }
        return rooms.containsAll(List.of("room-a@n1", "room-b@n2", "room-c@n3"));
      });
    }

    JsonNode aj = alice.request("{\"type\":\"join\",\"room\":\"room-b\"}");
    assertThat(aj.path("type").asText()).isEqualTo("joined");
    assertThat(aj.path("admin").asText()).isEqualTo("n2");
    assertThat(bob.request("{\"type\":\"join\",\"room\":\"room-b\"}").path("type").asText()).isEqualTo("joined");
    JsonNode cj = carol.request("{\"type\":\"join\",\"room\":\"room-b\"}");
    assertThat(cj.path("members").toString()).isEqualTo("[\"alice\",\"bob\",\"carol\"]");
    assertThat(alice.next(f -> f.path("type").asText().equals("member_joined")
        && f.path("user").asText().equals("carol")).path("seq").asLong()).isEqualTo(cj.path("seq").asLong());

    for (int i = 0; i < 4; i++) {
      alice.send("{\"type\":\"send\",\"room\":\"room-b\",\"text\":\"a" + i + "\",\"id\":\"a-" + i + "\"}");
      bob.send("{\"type\":\"send\",\"room\":\"room-b\",\"text\":\"b" + i + "\",\"id\":\"b-" + i + "\"}");
      carol.send("{\"type\":\"send\",\"room\":\"room-b\",\"text\":\"c" + i + "\",\"id\":\"c-" + i + "\"}");
    }
    List<String> order = messages(alice, 12);
    assertThat(messages(bob, 12)).isEqualTo(order);
    assertThat(messages(carol, 12)).isEqualTo(order);
    JsonNode first = alice.reply("a-0");
    alice.send("{\"type\":\"send\",\"room\":\"room-b\",\"text\":\"a0\",\"id\":\"a-0\"}");
    JsonNode retry = alice.reply("a-0");
    assertThat(retry.path("seq").asLong()).isEqualTo(first.path("seq").asLong());
    assertThat(retry.path("duplicate").asBoolean()).isTrue();

    assertThat(alice.request("{\"type\":\"delete\",\"room\":\"room-b\"}").path("code").asText()).isEqualTo("NOT_ADMIN");
    assertThat(alice.request("{\"type\":\"join\",\"room\":\"nowhere\"}").path("code").asText()).isEqualTo("UNKNOWN_ROOM");
    assertThat(alice.request("{\"type\":\"fly\"}").path("code").asText()).isEqualTo("BAD_REQUEST");

    // a room created on n3 and deleted by its admin: members on other nodes are told
    assertThat(carol.request("{\"type\":\"create\",\"room\":\"e2e\"}").path("admin").asText()).isEqualTo("n3");
    await().atMost(Duration.ofSeconds(20)).until(
        () -> alice.request("{\"type\":\"join\",\"room\":\"e2e\"}").path("type").asText().equals("joined"));
    assertThat(carol.request("{\"type\":\"join\",\"room\":\"e2e\"}").path("type").asText()).isEqualTo("joined");
    assertThat(carol.request("{\"type\":\"leave\",\"room\":\"e2e\"}").path("type").asText()).isEqualTo("left");
    assertThat(alice.next("member_left").path("user").asText()).isEqualTo("carol");
    assertThat(carol.request("{\"type\":\"delete\",\"room\":\"e2e\"}").path("type").asText()).isEqualTo("deleted");
    assertThat(alice.next("deleted").path("room").asText()).isEqualTo("e2e");

    // kill -9 the process of room-b's admin: the members on n1 and n3 are told
    n2.process.destroyForcibly();
    assertThat(n2.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(alice.next("unavailable").path("room").asText()).isEqualTo("room-b");
    assertThat(carol.next("unavailable").path("room").asText()).isEqualTo("room-b");
    JsonNode refused = alice.request("{\"type\":\"send\",\"room\":\"room-b\",\"text\":\"anyone?\"}");
    assertThat(refused.path("code").asText()).isEqualTo("UNAVAILABLE");

    // the survivors shut down cleanly on SIGINT, as on Ctrl-C
    for (DemoCluster.Proc p : List.of(n1, n3)) {
      Process kill = new ProcessBuilder("kill", "-INT", String.valueOf(p.process.pid())).start();
      assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(p.process.waitFor(30, TimeUnit.SECONDS)).as("exits after SIGINT").isTrue();
      await().atMost(Duration.ofSeconds(5)).untilAsserted(
          () -> assertThat(p.output).as("output of a node").contains("bye"));
    }
  }

  private static List<String> messages(WsTestClient c, int n) throws Exception {
    List<String> out = new ArrayList<>();
    long last = 0;
    for (int i = 0; i < n; i++) {
      JsonNode m = c.next("message");
      assertThat(m.path("seq").asLong()).isGreaterThan(last);
      last = m.path("seq").asLong();
      out.add(last + ":" + m.path("user").asText() + ":" + m.path("text").asText());
    }
    return out;
  }
}
