package io.chatmesh.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatmesh.ChatMessage;
import io.chatmesh.RoomEvent;
import io.chatmesh.UserId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The user-side attacks of issue 11, each as a hostile client against a gateway in front of a
 * {@link FakeChatNode}: connection flood, silent connections, request floods, room floods,
 * oversized HTTP requests, control characters, trailing JSON, overflowing numbers, and the {@code
 * last: 10000} amplification.
 */
@Timeout(60)
class GatewayLimitsTest {
  private final FakeChatNode node = new FakeChatNode("n1");
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private WebSocketGateway gateway;

  private void start(GatewayLimits limits) {
    start(WebSocketGateway.builder(node).limits(limits));
  }

  private void start(WebSocketGateway.Builder b) {
    gateway = b.port(0).build().start();
  }

  private RawWsClient client() throws Exception {
    RawWsClient c = RawWsClient.connect(gateway.port());
    toClose.add(c);
    return c;
  }

  private RawWsClient hello(String user) throws Exception {
    RawWsClient c = client();
    c.send("{\"type\":\"hello\",\"user\":\"" + user + "\",\"id\":\"h\"}");
    assertThat(c.reply("h").path("type").asText()).isEqualTo("welcome");
    return c;
  }

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    if (gateway != null) {
      gateway.close();
    }
    node.close();
  }

  private static void assertError(JsonNode frame, String code, String mentions) {
    assertThat(frame.path("type").asText()).as(frame.toString()).isEqualTo("error");
    assertThat(frame.path("code").asText()).as(frame.toString()).isEqualTo(code);
    assertThat(frame.path("message").asText()).contains(mentions);
  }

  @Test
  void connectionFloodFromOneAddressStopsAtTheCap() throws Exception {
    start(GatewayLimits.builder().maxConnectionsPerAddress(5).build());
    List<RawWsClient> five = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      five.add(client());
    }
    assertThatThrownBy(this::client)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("429 Too Many Requests");
    five.get(0).close();
    // once one is closed, a new connection from the address is accepted again
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> client() != null);
  }

  @Test
  void aConnectionWithoutHelloIsClosedAtTheDeadline() throws Exception {
    start(GatewayLimits.builder().helloTimeout(Duration.ofMillis(300)).build());
    RawWsClient signedIn = hello("alice");
    RawWsClient silent = client();
    assertError(silent.next(), "TIMEOUT", "helloTimeout");
    assertThat(silent.awaitClose(RawWsClient.WAIT)).isEqualTo(1008);
    // the connection that said hello in time is not affected
    signedIn.send("{\"type\":\"rooms\",\"id\":\"r\"}");
    assertThat(signedIn.reply("r").path("type").asText()).isEqualTo("rooms");
    assertThat(signedIn.closed).isNotDone();
  }

  @Test
  void requestsPerSecondAreLimitedPerUser() throws Exception {
    AtomicLong now = new AtomicLong();
    start(WebSocketGateway.builder(node)
        .nanoTime(now::get)
        .maxRequestsPerSecond(1000)
        .limits(GatewayLimits.builder().maxRequestsPerSecondPerUser(5).build()));
    RawWsClient alice = hello("alice");
    for (int i = 0; i < 5; i++) {
      alice.send("{\"type\":\"rooms\",\"id\":" + i + "}");
      assertThat(alice.reply(String.valueOf(i)).path("type").asText()).isEqualTo("rooms");
    }
    alice.send("{\"type\":\"rooms\",\"id\":9}");
    assertError(alice.reply("9"), "RATE_LIMITED", "maxRequestsPerSecondPerUser");
    now.addAndGet(1_000_000_000L);
    alice.send("{\"type\":\"rooms\",\"id\":10}");
    assertThat(alice.reply("10").path("type").asText()).isEqualTo("rooms");
  }

  @Test
  void roomFloodStopsAtMaxRoomsPerUser() throws Exception {
    start(GatewayLimits.builder().maxRoomsPerUser(2).build());
    RawWsClient alice = hello("alice");
    for (String r : new String[] {"a", "b"}) {
      alice.send("{\"type\":\"create\",\"room\":\"" + r + "\",\"id\":\"" + r + "\"}");
      assertThat(alice.reply(r).path("type").asText()).isEqualTo("created");
    }
    alice.send("{\"type\":\"create\",\"room\":\"c\",\"id\":\"c\"}");
    assertError(alice.reply("c"), "TOO_MANY_ROOMS", "maxRoomsPerUser");
    // another user has their own allowance; deleting a room gives one back
    RawWsClient bob = hello("bob");
    bob.send("{\"type\":\"create\",\"room\":\"c\",\"id\":\"c\"}");
    assertThat(bob.reply("c").path("type").asText()).isEqualTo("created");
    alice.send("{\"type\":\"delete\",\"room\":\"a\",\"id\":\"d\"}");
    assertThat(alice.reply("d").path("type").asText()).isEqualTo("deleted");
    alice.send("{\"type\":\"create\",\"room\":\"e\",\"id\":\"e\"}");
    assertThat(alice.reply("e").path("type").asText()).isEqualTo("created");
  }

  @Test
  void roomsArePagedWithACursor() throws Exception {
    start(GatewayLimits.builder().roomsPageSize(2).build());
    RawWsClient alice = hello("alice");
    for (String r : new String[] {"e", "a", "d", "b", "c"}) {
      node.createRoom(r).join();
    }
    List<String> seen = new ArrayList<>();
    String after = null;
    int pages = 0;
    do {
      alice.send("{\"type\":\"rooms\",\"id\":\"p\"" + (after == null ? "" : ",\"after\":\"" + after + "\"") + "}");
      JsonNode page = alice.reply("p");
      assertThat(page.path("rooms").size()).isBetween(1, 2);
      page.path("rooms").forEach(r -> seen.add(r.path("room").asText()));
      after = page.has("next") ? page.path("next").asText() : null;
      pages++;
    } while (after != null);
    assertThat(seen).containsExactly("a", "b", "c", "d", "e");
    assertThat(pages).isEqualTo(3);
    alice.send("{\"type\":\"rooms\",\"limit\":5,\"id\":\"all\"}");
    assertThat(alice.reply("all").path("rooms").size()).isEqualTo(5);
    alice.send("{\"type\":\"rooms\",\"limit\":0,\"id\":\"z\"}");
    assertError(alice.reply("z"), "BAD_REQUEST", "limit");
  }

  @Test
  void controlCharactersInTextsAreRefusedNamingTheCharacter() throws Exception {
    start(GatewayLimits.defaults());
    RawWsClient alice = hello("alice");
    node.createRoom("r").join();
    alice.send("{\"type\":\"join\",\"room\":\"r\",\"id\":\"j\"}");
    alice.reply("j");
    String[][] cases = {{"\\u0000", "U+0000"}, {"\\u001b]0;pwned\\u0007", "U+001B"}, {"a\\r\\n<bob> fake", "U+000D"},
        {"\\u202egnp.exe", "U+202E"}, {"\\u0085", "U+0085"}};
    for (int i = 0; i < cases.length; i++) {
      alice.send("{\"type\":\"send\",\"room\":\"r\",\"text\":\"" + cases[i][0] + "\",\"id\":\"s" + i + "\"}");
      assertError(alice.reply("s" + i), "BAD_REQUEST", cases[i][1]);
    }
    alice.send("{\"type\":\"send\",\"room\":\"r\",\"text\":\"two\\nlines\\tand a tab\",\"id\":\"ok\"}");
    assertThat(alice.reply("ok").path("type").asText()).isEqualTo("ack");
    alice.send("{\"type\":\"rooms\",\"id\":\"x\\u001by\"}");
    assertError(alice.next("error"), "BAD_REQUEST", "control characters");
  }

  @Test
  void jsonWithTrailingDataIsRefused() throws Exception {
    start(GatewayLimits.defaults());
    RawWsClient alice = hello("alice");
    alice.send("{\"type\":\"rooms\",\"id\":\"r\"} xyz");
    assertError(alice.next(), "BAD_REQUEST", "malformed JSON");
    alice.send("{\"type\":\"rooms\",\"id\":\"r2\"}{\"type\":\"rooms\"}");
    assertError(alice.next(), "BAD_REQUEST", "malformed JSON");
  }

  @Test
  void numericRangesAreCheckedBeforeArithmetic() throws Exception {
    start(GatewayLimits.defaults());
    RawWsClient alice = hello("alice");
    node.createRoom("r").join();
    alice.send("{\"type\":\"join\",\"room\":\"r\",\"since\":9223372036854775807,\"id\":\"j\"}");
    assertError(alice.reply("j"), "BAD_REQUEST", "since");
    alice.send("{\"type\":\"join\",\"room\":\"r\",\"since\":5,\"epoch\":9223372036854775807,\"id\":\"j2\"}");
    assertError(alice.reply("j2"), "BAD_REQUEST", "epoch");
    alice.send("{\"type\":\"history\",\"room\":\"r\",\"before\":9223372036854775807,\"id\":\"h\"}");
    assertError(alice.reply("h"), "BAD_REQUEST", "before");
    alice.send("{\"type\":\"join\",\"room\":\"r\",\"last\":10000,\"id\":\"l\"}");
    assertError(alice.reply("l"), "BAD_REQUEST", "maxJoinHistory");
  }

  @Test
  void oversizedHttpHeadersGet431AndLongUrisGet414() throws Exception {
    start(GatewayLimits.defaults());
    String hugeHeader = "GET / HTTP/1.1\r\nHost: x\r\nX-Junk: " + "a".repeat(100_000) + "\r\n\r\n";
    assertThat(statusLine(hugeHeader)).startsWith("HTTP/1.1 431");
    String longUri = "GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n";
    assertThat(statusLine(longUri)).startsWith("HTTP/1.1 414");
    // a normal request is still served
    assertThat(statusLine("GET / HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 200");
  }

  private String statusLine(String request) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", gateway.port()), 5000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
        try {
          out.write(request.getBytes(StandardCharsets.US_ASCII));
          out.flush();
        } catch (IOException e) {
          // the server may stop reading once it has answered
        }
      });
      InputStream in = s.getInputStream();
      StringBuilder line = new StringBuilder();
      int b;
      while ((b = in.read()) >= 0 && b != '\n') {
        line.append((char) b);
      }
      writing.cancel(true);
      return line.toString().trim();
    }
  }

  @Test
  void aHistoryCatchUpThatIsNotReadHoldsBoundedBytes() throws Exception {
    long bound = 64 * 1024;
    start(WebSocketGateway.builder(node).maxOutboundBytes(bound));
    RawWsClient stalled = RawWsClient.connectPaused(gateway.port(), 4096);
    toClose.add(stalled);
    stalled.send("{\"type\":\"hello\",\"user\":\"slow\"}");
    node.createRoom("big").join();
    stalled.send("{\"type\":\"join\",\"room\":\"big\",\"last\":1000}");
    await().atMost(Duration.ofSeconds(10)).until(() -> node.rooms().get(0).memberCount() == 1);
    // 1,000 messages of 4,000 characters arrive at once, as the catch-up of "last: 1000" does:
    // 4 MB, sixty times the bound
    String text = "h".repeat(4000);
    List<RoomEvent> catchUp = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      catchUp.add(new ChatMessage("big", 1, 1 + i, UserId.of("bob"), text, null, 1L));
    }
    node.emitBurst("big", catchUp);
    await().atMost(Duration.ofSeconds(10)).until(() -> gateway.connectionCount() == 0);
    assertThat(gateway.peakHeldBytes()).as("bytes held for one connection").isLessThanOrEqualTo(bound + 8 * 1024);
  }
}
