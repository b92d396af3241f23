package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The terminal client driven through its standard input against an in-process 3-node cluster
 * (gRPC between the nodes, WebSockets to the client): help, a whole session, refusals with their
 * exit codes, exiting when the server goes away, and reconnecting with {@code --reconnect}.
 */
@Timeout(120)
class ChatCliTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final List<DemoNode> nodes = new ArrayList<>();
  private final List<Cli> clis = new ArrayList<>();
  private final List<WsTestClient> others = new ArrayList<>();

  /** One running client: its stdin, its output, its exit code. */
  private static final class Cli {
    final PipedOutputStream stdin = new PipedOutputStream();
    final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    final CompletableFuture<Integer> exit;

    Cli(String... args) throws IOException {
      PipedInputStream in = new PipedInputStream(stdin, 1 << 16);
      exit = CompletableFuture.supplyAsync(() -> ChatCli.run(args, in, out, out));
    }

    void type(String line) throws IOException {
      stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      stdin.flush();
    }

    String output() {
      synchronized (out) {
        return buffer.toString(StandardCharsets.UTF_8);
      }
    }

    void awaitOutput(String text) {
      await().atMost(WAIT).until(() -> output().contains(text));
    }

    int exitCode() throws Exception {
      return exit.get(20, TimeUnit.SECONDS);
    }
  }

  @BeforeAll
  static void startCluster() {
    List<String> peers = new ArrayList<>();
    for (String id : List.of("n1", "n2", "n3")) {
      DemoNode n = DemoNode.start(id, "127.0.0.1", 0, 0, List.copyOf(peers), Duration.ofMillis(1500));
      nodes.add(n);
      peers.add(n.node().address());
    }
    await().atMost(WAIT).until(() -> nodes.stream().allMatch(n -> n.node().liveNodes().size() == 2));
    nodes.get(0).ensureRoom("room-a");
    await().atMost(WAIT).until(() -> nodes.stream().allMatch(n -> n.node().room("room-a").isPresent()));
  }

  @AfterAll
  static void stopCluster() {
    for (DemoNode n : nodes) {
      n.close();
    }
  }

  @AfterEach
  void closeClients() throws IOException {
    for (Cli c : clis) {
      c.stdin.close();
    }
    others.forEach(WsTestClient::close);
  }

  private Cli cli(String... args) throws IOException {
    Cli c = new Cli(args);
    clis.add(c);
    return c;
  }

  private WsTestClient user(DemoNode node, String name) throws Exception {
    WsTestClient c = new WsTestClient(node.gateway().port());
    others.add(c);
    assertThat(c.request("{\"type\":\"hello\",\"user\":\"" + name + "\"}").path("type").asText()).isEqualTo("welcome");
    return c;
  }

  @Test
  void helpAndBadArguments() throws Exception {
    Cli help = cli("--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.output()).contains("usage: chat.sh").contains("--reconnect").contains("/members").contains("exit codes");
    Cli bad = cli("--bogus");
    assertThat(bad.exitCode()).isEqualTo(ChatCli.USAGE);
    assertThat(bad.output()).contains("Unknown option: '--bogus'").contains("usage:");
    Cli badName = cli(nodes.get(0).webSocketUrl(), "no way");
    assertThat(badName.exitCode()).isEqualTo(ChatCli.USAGE);
    assertThat(badName.output()).contains("the name must be");
    assertThat(cli("http://127.0.0.1:1/").exitCode()).isEqualTo(ChatCli.USAGE);
  }

  @Test
  void aWholeSessionThroughStdin() throws Exception {
    WsTestClient bob = user(nodes.get(0), "bob");
    bob.request("{\"type\":\"join\",\"room\":\"room-a\"}");
    bob.request("{\"type\":\"send\",\"room\":\"room-a\",\"text\":\"earlier\"}");
    Cli alice = cli(nodes.get(1).webSocketUrl(), "alice");
    alice.awaitOutput("* connected to node n2");
    alice.type("/help");
    alice.awaitOutput("/members [ROOM]");
    alice.type("/rooms");
    alice.awaitOutput("room-a");
    alice.type("/room room-a");
    alice.awaitOutput("! you are not in room 'room-a'");
    alice.type("hello?");
    alice.awaitOutput("! join a room first");
    alice.type("/join room-a");
    alice.awaitOutput("* joined room-a (admin n1); members: alice, bob");
    alice.awaitOutput("bob: earlier"); // the last events before the join
    alice.type("hi bob");
    bob.next(f -> f.path("type").asText().equals("message") && f.path("text").asText().equals("hi bob"));
    bob.send("{\"type\":\"send\",\"room\":\"room-a\",\"text\":\"hi alice\",\"id\":\"b-2\"}");
    alice.awaitOutput("room-a bob: hi alice");
    assertThat(alice.output()).containsPattern("\\[\\d\\d:\\d\\d:\\d\\d] room-a bob: hi alice");
    alice.type("/members");
    alice.awaitOutput("* 2 in room-a: alice, bob");
    alice.type("/room nowhere");
    alice.awaitOutput("! you are not in room 'nowhere' (joined: room-a)");
    alice.type("/join nowhere");
    alice.awaitOutput("! UNKNOWN_ROOM");
    alice.type("/history 5");
    alice.awaitOutput("* last 3 message(s) of room-a:");
    alice.type("/frobnicate");
    alice.awaitOutput("! unknown command /frobnicate; /help lists the commands");
    alice.type("/leave");
    alice.awaitOutput("* left room-a");
    alice.type("/quit");
    assertThat(alice.exitCode()).isZero();
  }

  @Test
  void aRefusedNameAndAnUnreachableServerExitNonZero() throws Exception {
    // a second connection as carol is welcome now (another device); a node that requires tokens refuses
    // a client without one, and takes one made by demo.sh token
    user(nodes.get(0), "carol");
    Cli second = cli(nodes.get(0).webSocketUrl(), "carol");
    second.awaitOutput("* connected to node n1");
    try (DemoNode secured = DemoNode.start("j1", "127.0.0.1", 0, 0, List.of(), Duration.ofMillis(1500), null, null,
        Demo.access("jwt", "", List.of()))) {
      Cli noToken = cli(secured.webSocketUrl(), "carol");
      assertThat(noToken.exitCode()).isEqualTo(ChatCli.REFUSED);
      assertThat(noToken.output()).contains("! the server refused the name 'carol'").contains("token is required")
          .doesNotContain("* connected");
      String token = DemoToken.run(new String[] {"carol"}, java.time.Instant.now());
      Cli withToken = cli("--token", token, secured.webSocketUrl(), "carol");
      withToken.awaitOutput("* connected to node j1");
      withToken.stdin.close();
      assertThat(withToken.exitCode()).isZero();
    }
    Cli nowhere = cli("ws://127.0.0.1:1/ws", "dave");
    assertThat(nowhere.exitCode()).isEqualTo(ChatCli.UNREACHABLE);
    assertThat(nowhere.output()).contains("! cannot connect to ws://127.0.0.1:1/ws");
  }

  @Test
  void exitsWhenTheServerGoesAwayWithoutWaitingForInput() throws Exception {
    DemoNode n3 = nodes.get(2);
    Cli erin = cli(n3.webSocketUrl(), "erin");
    erin.awaitOutput("* connected to node n3");
    n3.gateway().close();
    assertThat(erin.exitCode()).isEqualTo(ChatCli.LOST);
    assertThat(erin.output()).contains("! connection lost: the server went away").contains("--reconnect");
  }

  @Test
  void reconnectsToAnotherNodeAndResumesWithReconnect() throws Exception {
    DemoNode n2 = nodes.get(1);
    DemoNode n1 = nodes.get(0);
    WsTestClient frank = user(n1, "frank");
    frank.request("{\"type\":\"join\",\"room\":\"room-a\"}");
    // the client talks to a gateway of its own on n2, which then goes away; n1 is next in the list
    io.chatmesh.websocket.WebSocketGateway doomed =
        io.chatmesh.websocket.WebSocketGateway.builder(n2.node()).host("127.0.0.1").port(0).build().start();
    Cli gina = cli("--reconnect", "ws://127.0.0.1:" + doomed.port() + "/ws," + n1.webSocketUrl(), "gina");
    gina.awaitOutput("* connected to node n2");
    gina.type("/join room-a");
    gina.awaitOutput("* joined room-a");
    frank.send("{\"type\":\"send\",\"room\":\"room-a\",\"text\":\"one\",\"id\":\"f-1\"}");
    gina.awaitOutput("room-a frank: one");
    doomed.close();
    gina.awaitOutput("! connection lost: the server went away");
    frank.send("{\"type\":\"send\",\"room\":\"room-a\",\"text\":\"two, while gina moves\",\"id\":\"f-2\"}");
    gina.awaitOutput("* connected to node n1");
    gina.awaitOutput("room-a frank: two, while gina moves");
    gina.type("back");
    frank.next(f -> f.path("type").asText().equals("message") && f.path("text").asText().equals("back"));
    assertThat(gina.output().split("frank: one", -1)).as("no message shown twice").hasSize(2);
    gina.type("/quit");
    assertThat(gina.exitCode()).isZero();
  }
}
