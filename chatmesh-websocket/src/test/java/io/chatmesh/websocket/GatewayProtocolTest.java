package io.chatmesh.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatmesh.ChatMessage;
import io.chatmesh.RoomEvent;
import io.chatmesh.UserId;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The gateway's protocol handling and its defences, against a single-node stand-in for the engine
 * ({@link FakeChatNode}) and a raw socket client that can misbehave in ways a browser cannot.
 */
@Timeout(60)
class GatewayProtocolTest {
  private final FakeChatNode node = new FakeChatNode("n1");
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private WebSocketGateway gateway;

  private WebSocketGateway start(WebSocketGateway.Builder b) {
    gateway = b.port(0).build().start();
    return gateway;
  }

  private WebSocketGateway start() {
    return start(WebSocketGateway.builder(node));
  }

  private RawWsClient client() throws Exception {
    RawWsClient c = RawWsClient.connect(gateway.port());
    toClose.add(c);
    return c;
  }

  private RawWsClient hello(String user) throws Exception {
    RawWsClient c = client();
    c.send("{\"type\":\"hello\",\"user\":\"" + user + "\",\"id\":\"h\"}");
    JsonNode w = c.reply("h");
    assertThat(w.path("type").asText()).isEqualTo("welcome");
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

  @Test
  void helloIsRequiredFirstAndNamesTheNodeAndUser() throws Exception {
    start();
    RawWsClient c = client();
    c.send("{\"type\":\"rooms\",\"id\":\"r1\"}");
    assertError(c.reply("r1"), "UNAUTHORIZED");

    c.send("{\"type\":\"hello\",\"user\":\"not a name!\",\"id\":\"h0\"}");
    assertError(c.reply("h0"), "BAD_REQUEST");

    c.send("{\"type\":\"hello\",\"user\":\"alice\",\"token\":\"t\",\"id\":\"h1\"}");
    JsonNode welcome = c.reply("h1");
    assertThat(welcome.path("type").asText()).isEqualTo("welcome");
    assertThat(welcome.path("node").asText()).isEqualTo("n1");
    assertThat(welcome.path("user").asText()).isEqualTo("alice");

    c.send("{\"type\":\"hello\",\"user\":\"bob\",\"id\":\"h2\"}");
    assertError(c.reply("h2"), "BAD_REQUEST");

    // a second connection of the same user (another tab or device) is welcome too
    RawWsClient twin = client();
    twin.send("{\"type\":\"hello\",\"user\":\"alice\",\"id\":\"h3\"}");
    assertThat(twin.reply("h3").path("type").asText()).isEqualTo("welcome");
  }

  @Test
  void authenticatorRefusalClosesWithPolicyViolation() throws Exception {
    start(WebSocketGateway.builder(node).authenticator(Authenticator.ofPredicate((user, token) -> "secret".equals(token))));
    RawWsClient ok = client();
    ok.send("{\"type\":\"hello\",\"user\":\"alice\",\"token\":\"secret\",\"id\":1}");
    assertThat(ok.reply("1").path("type").asText()).isEqualTo("welcome");

    RawWsClient bad = client();
    bad.send("{\"type\":\"hello\",\"user\":\"mallory\",\"token\":\"guess\",\"id\":2}");
    assertError(bad.reply("2"), "UNAUTHORIZED");
    assertThat(bad.awaitClose(RawWsClient.WAIT)).isEqualTo(1008);
  }

  @Test
  void fullRoomLifecycleBetweenTwoUsers() throws Exception {
    start();
    RawWsClient alice = hello("alice");
    RawWsClient bob = hello("bob");

    alice.send("{\"type\":\"create\",\"room\":\"general\",\"id\":\"c\"}");
    JsonNode created = alice.reply("c");
    assertThat(created.path("type").asText()).isEqualTo("created");
    assertThat(created.path("room").asText()).isEqualTo("general");
    assertThat(created.path("admin").asText()).isEqualTo("n1");

    alice.send("{\"type\":\"create\",\"room\":\"general\",\"id\":\"c2\"}");
    assertError(alice.reply("c2"), "ROOM_EXISTS");

    bob.send("{\"type\":\"rooms\",\"id\":\"r\"}");
    JsonNode rooms = bob.reply("r");
    assertThat(rooms.path("rooms")).hasSize(1);
    assertThat(rooms.path("rooms").get(0).path("room").asText()).isEqualTo("general");
    assertThat(rooms.path("rooms").get(0).path("admin").asText()).isEqualTo("n1");
    assertThat(rooms.path("rooms").get(0).path("members").asInt()).isZero();

    alice.send("{\"type\":\"join\",\"room\":\"general\",\"id\":\"j\"}");
    JsonNode joined = alice.next();
    assertThat(joined.path("type").asText()).as("joined comes before the room's events").isEqualTo("joined");
    assertThat(joined.path("id").asText()).isEqualTo("j");
    assertThat(joined.path("admin").asText()).isEqualTo("n1");
    assertThat(joined.path("seq").asLong()).isEqualTo(1);
    assertThat(joined.path("members").toString()).isEqualTo("[\"alice\"]");
    JsonNode ownJoin = alice.next();
    assertThat(ownJoin.path("type").asText()).isEqualTo("member_joined");
    assertThat(ownJoin.path("user").asText()).isEqualTo("alice");

    bob.send("{\"type\":\"join\",\"room\":\"general\",\"id\":\"j\",\"since\":0}");
    assertThat(bob.reply("j").path("members").toString()).isEqualTo("[\"alice\",\"bob\"]");
    JsonNode bobJoined = alice.next("member_joined");
    assertThat(bobJoined.path("user").asText()).isEqualTo("bob");
    assertThat(bobJoined.path("seq").asLong()).isEqualTo(2);

    alice.send("{\"type\":\"send\",\"room\":\"general\",\"text\":\"hi\",\"id\":\"c-17\"}");
    JsonNode ack = alice.reply("c-17");
    assertThat(ack.path("type").asText()).isEqualTo("ack");
    assertThat(ack.path("room").asText()).isEqualTo("general");
    assertThat(ack.path("seq").asLong()).isEqualTo(3);
    assertThat(ack.path("duplicate").asBoolean()).isFalse();

    JsonNode msg = bob.next("message");
    assertThat(msg.path("room").asText()).isEqualTo("general");
    assertThat(msg.path("seq").asLong()).isEqualTo(3);
    assertThat(msg.path("epoch").asLong()).isEqualTo(1);
    assertThat(msg.path("user").asText()).isEqualTo("alice");
    assertThat(msg.path("text").asText()).isEqualTo("hi");
    assertThat(msg.path("id").asText()).isEqualTo("c-17");
    assertThat(msg.path("ts").asLong()).isPositive();

    // a resend with the same id gets the same seq and is delivered once
    alice.send("{\"type\":\"send\",\"room\":\"general\",\"text\":\"hi\",\"id\":\"c-17\"}");
    JsonNode ack2 = alice.next("ack");
    assertThat(ack2.path("seq").asLong()).isEqualTo(3);
    assertThat(ack2.path("duplicate").asBoolean()).isTrue();
    bob.send("{\"type\":\"send\",\"room\":\"general\",\"text\":\"yo\",\"id\":\"b-1\"}");
    assertThat(bob.reply("b-1").path("seq").asLong()).isEqualTo(4);
    JsonNode nextMsg = bob.next("message");
    assertThat(nextMsg.path("seq").asLong()).as("the duplicate was not delivered again").isEqualTo(4);

    bob.send("{\"type\":\"leave\",\"room\":\"general\",\"id\":\"l\"}");
    JsonNode left = bob.reply("l");
    assertThat(left.path("type").asText()).isEqualTo("left");
    assertThat(left.path("room").asText()).isEqualTo("general");
    JsonNode bobLeft = alice.next("member_left");
    assertThat(bobLeft.path("user").asText()).isEqualTo("bob");
    assertThat(bobLeft.path("reason").asText()).isEqualTo("LEFT");

    bob.send("{\"type\":\"send\",\"room\":\"general\",\"text\":\"still here?\",\"id\":\"b-2\"}");
    assertError(bob.reply("b-2"), "NOT_MEMBER");

    node.abortDeletes = true;
    alice.send("{\"type\":\"delete\",\"room\":\"general\",\"id\":\"d1\"}");
    assertError(alice.reply("d1"), "ABORTED");

    node.abortDeletes = false;
    bob.send("{\"type\":\"join\",\"room\":\"general\",\"id\":\"j2\"}");
    assertThat(bob.reply("j2").path("type").asText()).isEqualTo("joined");
    alice.send("{\"type\":\"delete\",\"room\":\"general\",\"id\":\"d2\"}");
    JsonNode deleted = alice.reply("d2");
    assertThat(deleted.path("type").asText()).isEqualTo("deleted");
    assertThat(deleted.path("room").asText()).isEqualTo("general");
    JsonNode bobDeleted = bob.next("deleted");
    assertThat(bobDeleted.path("room").asText()).isEqualTo("general");

    bob.send("{\"type\":\"send\",\"room\":\"general\",\"text\":\"x\",\"id\":\"b-3\"}");
    assertError(bob.reply("b-3"), "UNKNOWN_ROOM");
  }

  @Test
  void badRequestsGetErrorsAndTheConnectionSurvives() throws Exception {
    start();
    RawWsClient c = hello("alice");
    c.send("{not json");
    assertError(c.next(), "BAD_REQUEST");
    c.send("{\"type\":\"rooms\",\"type\":\"join\"}");
    assertErrorMentions(c.next(), "BAD_REQUEST", "Duplicate field");
    c.send("[1,2,3]");
    assertError(c.next(), "BAD_REQUEST");
    c.send("{\"room\":\"x\",\"id\":\"t\"}");
    assertErrorMentions(c.reply("t"), "BAD_REQUEST", "type");
    c.send("{\"type\":\"dance\",\"id\":\"u\"}");
    assertErrorMentions(c.reply("u"), "BAD_REQUEST", "unknown type 'dance'");
    c.send("{\"type\":\"join\",\"id\":\"m\"}");
    assertErrorMentions(c.reply("m"), "BAD_REQUEST", "'room'");
    c.send("{\"type\":\"join\",\"room\":42,\"id\":\"m2\"}");
    assertErrorMentions(c.reply("m2"), "BAD_REQUEST", "'room'");
    c.send("{\"type\":\"join\",\"room\":\"nowhere\",\"id\":\"n\"}");
    assertError(c.reply("n"), "UNKNOWN_ROOM");
    c.send("{\"type\":\"create\",\"room\":\"bad name!\",\"id\":\"b\"}");
    assertError(c.reply("b"), "BAD_REQUEST");
    c.send("{\"type\":\"create\",\"room\":\"ok\",\"id\":7}");
    JsonNode created = c.next("created");
    assertThat(created.path("id").isInt()).as("a numeric id is echoed as a number").isTrue();
    assertThat(created.path("id").asInt()).isEqualTo(7);
    c.send("{\"type\":\"join\",\"room\":\"ok\",\"since\":-1,\"id\":\"s\"}");
    assertErrorMentions(c.reply("s"), "BAD_REQUEST", "since");
    c.send("{\"type\":\"join\",\"room\":\"ok\",\"id\":{\"x\":1}}");
    assertErrorMentions(c.next("error"), "BAD_REQUEST", "'id'");
    c.send("{\"type\":\"send\",\"room\":\"ok\",\"text\":\"hi\",\"id\":\"nm\"}");
    assertError(c.reply("nm"), "NOT_MEMBER");
    c.send("{\"type\":\"join\",\"room\":\"ok\",\"id\":\"j\"}");
    assertThat(c.reply("j").path("type").asText()).isEqualTo("joined");
    c.send("{\"type\":\"join\",\"room\":\"ok\",\"id\":\"j2\"}");
    assertError(c.reply("j2"), "ALREADY_MEMBER");
    c.send("{\"type\":\"send\",\"room\":\"ok\",\"id\":\"nt\"}");
    assertErrorMentions(c.reply("nt"), "BAD_REQUEST", "'text'");
    c.send("{\"type\":\"send\",\"room\":\"ok\",\"text\":\"" + "x".repeat(5000) + "\",\"id\":\"big\"}");
    assertError(c.reply("big"), "TOO_LARGE");

    c.writeFrame(0x2, new byte[] {1, 2, 3}, true);
    assertErrorMentions(c.next("error"), "BAD_REQUEST", "binary");

    // still alive and the room is intact: the next message gets the next seq
    c.send("{\"type\":\"send\",\"room\":\"ok\",\"text\":\"after all that\",\"id\":\"fine\"}");
    JsonNode ack = c.reply("fine");
    assertThat(ack.path("type").asText()).isEqualTo("ack");
    assertThat(ack.path("seq").asLong()).isEqualTo(2);
  }

  @Test
  void randomGarbageNeverBreaksTheConnectionOrTheRoom() throws Exception {
    start(WebSocketGateway.builder(node).maxRequestsPerSecond(100_000));
    RawWsClient c = hello("alice");
    c.send("{\"type\":\"create\",\"room\":\"fuzz\",\"id\":\"c\"}");
    c.reply("c");
    c.send("{\"type\":\"join\",\"room\":\"fuzz\",\"id\":\"j\"}");
    c.reply("j");
    c.next("member_joined");
    Random random = new Random(42);
    String[] pieces = {"{", "}", "[", "]", "\"type\"", ":", ",", "\"send\"", "\"join\"", "\"room\"", "\"fuzz\"",
        "\"text\"", "null", "1e999", "-1", "\"\\u0000\"", "\"id\"", "true", "\"leave\"", "\"delete\"", " ", "\"hello\""};
    for (int i = 0; i < 300; i++) {
      StringBuilder sb = new StringBuilder();
      int n = 1 + random.nextInt(12);
      for (int k = 0; k < n; k++) {
        sb.append(pieces[random.nextInt(pieces.length)]);
      }
      String garbage = sb.toString();
      if (garbage.contains("\"delete\"") || garbage.contains("\"leave\"")) {
        continue; // those could legitimately leave or delete the room
      }
      c.send(garbage);
    }
    c.send("{\"type\":\"send\",\"room\":\"fuzz\",\"text\":\"survived\",\"id\":\"last\"}");
    JsonNode ack = c.reply("last");
    assertThat(ack.path("type").asText()).isEqualTo("ack");
    for (JsonNode frame : c.received()) {
      assertThat(frame.path("type").asText())
          .isIn("welcome", "created", "joined", "member_joined", "error", "message", "ack");
    }
    JsonNode lastMessage = c.next(f -> "message".equals(f.path("type").asText()) && "last".equals(f.path("id").asText()));
    assertThat(lastMessage.path("seq").asLong()).isEqualTo(ack.path("seq").asLong());
  }

  @Test
  void oversizedMessageGetsTooLargeAndCloseCode1009() throws Exception {
    start(WebSocketGateway.builder(node).maxFrameBytes(1024));
    RawWsClient single = hello("alice");
    single.send("{\"type\":\"rooms\",\"pad\":\"" + "x".repeat(2000) + "\"}");
    assertErrorMentions(single.next(), "TOO_LARGE", "1024");
    assertThat(single.awaitClose(RawWsClient.WAIT)).isEqualTo(1009);

    RawWsClient fragmented = hello("bob");
    byte[] part = "x".repeat(600).getBytes(StandardCharsets.UTF_8);
    fragmented.writeFrame(0x1, part, false);
    fragmented.writeFrame(0x0, part, true);
    assertError(fragmented.next(), "TOO_LARGE");
    assertThat(fragmented.awaitClose(RawWsClient.WAIT)).isEqualTo(1009);

    RawWsClient fine = hello("carol");
    fine.send("{\"type\":\"rooms\",\"id\":\"r\",\"pad\":\"" + "x".repeat(900) + "\"}");
    assertThat(fine.reply("r").path("type").asText()).isEqualTo("rooms");
  }

  @Test
  void requestFloodIsRateLimitedPerConnection() throws Exception {
    AtomicLong now = new AtomicLong(1_000_000_000L);
    start(WebSocketGateway.builder(node).maxRequestsPerSecond(5).nanoTime(now::get));
    RawWsClient c = hello("alice"); // uses 1 token
    for (int i = 0; i < 6; i++) {
      c.send("{\"type\":\"rooms\",\"id\":\"r" + i + "\"}");
    }
    for (int i = 0; i < 4; i++) {
      assertThat(c.reply("r" + i).path("type").asText()).isEqualTo("rooms");
    }
    assertError(c.reply("r4"), "RATE_LIMITED");
    assertError(c.reply("r5"), "RATE_LIMITED");
    assertThat(gateway.stats().rateLimited()).isEqualTo(2);
    RawWsClient other = hello("bob");
    other.send("{\"type\":\"rooms\",\"id\":\"o\"}");
    assertThat(other.reply("o").path("type").asText()).as("limits are per connection").isEqualTo("rooms");

    now.addAndGet(1_000_000_000L);
    c.send("{\"type\":\"rooms\",\"id\":\"later\"}");
    assertThat(c.reply("later").path("type").asText()).isEqualTo("rooms");
  }

  @Test
  void slowReaderIsDisconnectedInsteadOfBufferingWithoutLimit() throws Exception {
    start(WebSocketGateway.builder(node).maxOutboundBytes(64 * 1024));
    RawWsClient reader = hello("bob");
    RawWsClient stalled = RawWsClient.connectPaused(gateway.port(), 4096);
    toClose.add(stalled);
    stalled.send("{\"type\":\"hello\",\"user\":\"slow\"}");
    reader.send("{\"type\":\"create\",\"room\":\"busy\",\"id\":\"c\"}");
    reader.reply("c");
    stalled.send("{\"type\":\"join\",\"room\":\"busy\"}");
    await().atMost(Duration.ofSeconds(10)).until(() -> node.rooms().get(0).memberCount() == 1);
    assertThat(gateway.connectionCount()).isEqualTo(2);

    // 12,000 × 4 KB = 48 MB: more than loopback socket buffers absorb, far more than the 64 KiB bound
    String text = "y".repeat(4000);
    for (int i = 0; i < 12_000; i++) {
      node.emit("busy", new ChatMessage("busy", 1, 100 + i, UserId.of("bob"), text, null, 1L));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> gateway.connectionCount() == 1);
    assertThat(gateway.stats().slowReaderDisconnects()).isEqualTo(1);
    assertThat(stalled.closed).isNotDone(); // it has not read anything yet
    stalled.startReading();
    assertThat(stalled.awaitClose(RawWsClient.WAIT)).as("connection dropped (-1) or closed with 1008").isIn(-1, 1008);
    // the user was removed from the room when its connection closed; the node is fine
    await().atMost(Duration.ofSeconds(10)).until(() -> node.rooms().get(0).memberCount() == 0);
    reader.send("{\"type\":\"rooms\",\"id\":\"r\"}");
    assertThat(reader.reply("r").path("type").asText()).isEqualTo("rooms");
  }

  @Test
  void aReaderThatKeepsUpIsNeverDisconnected() throws Exception {
    start(WebSocketGateway.builder(node).maxOutboundFrames(1000).maxOutboundBytes(256 * 1024));
    RawWsClient alice = hello("alice");
    alice.send("{\"type\":\"create\",\"room\":\"r\",\"id\":\"c\"}");
    alice.reply("c");
    alice.send("{\"type\":\"join\",\"room\":\"r\",\"id\":\"j\"}");
    alice.reply("j");
    alice.next("member_joined");
    int total = 5000; // five times the frame bound: the counters must return to zero as frames go out
    long expected = 2;
    for (int batch = 0; batch < total / 500; batch++) {
      for (int i = 0; i < 500; i++) {
        long seq = 2 + batch * 500L + i;
        node.emit("r", new ChatMessage("r", 1, seq, UserId.of("bob"), "m" + seq, null, 1L));
      }
      for (int i = 0; i < 500; i++) {
        JsonNode m = alice.next();
        assertThat(m.path("type").asText()).isEqualTo("message");
        assertThat(m.path("seq").asLong()).isEqualTo(expected++);
      }
    }
    assertThat(alice.closed).isNotDone();
    assertThat(gateway.connectionCount()).isEqualTo(1);
  }

  @Test
  void deadConnectionsArePingedThenClosed() throws Exception {
    start(WebSocketGateway.builder(node).idleTimeout(Duration.ofMillis(400)));
    RawWsClient alive = hello("alice");
    RawWsClient deaf = RawWsClient.connectDeaf(gateway.port());
    toClose.add(deaf);
    assertThat(deaf.awaitClose(Duration.ofSeconds(10))).isEqualTo(1001);
    assertThat(deaf.pingsReceived).isPositive();
    // a client that answers pings is kept: it sees ping after ping and stays open
    await().atMost(Duration.ofSeconds(10)).until(() -> alive.pingsReceived >= 3);
    assertThat(alive.closed).isNotDone();
    alive.send("{\"type\":\"rooms\",\"id\":\"r\"}");
    assertThat(alive.reply("r").path("type").asText()).isEqualTo("rooms");
  }

  @Test
  void disconnectLeavesTheRoomsOfThatConnection() throws Exception {
    start();
    RawWsClient alice = hello("alice");
    RawWsClient bob = hello("bob");
    alice.send("{\"type\":\"create\",\"room\":\"r\",\"id\":\"c\"}");
    alice.reply("c");
    alice.send("{\"type\":\"join\",\"room\":\"r\",\"id\":\"j\"}");
    alice.reply("j");
    bob.send("{\"type\":\"join\",\"room\":\"r\",\"id\":\"j\"}");
    bob.reply("j");
    bob.close();
    JsonNode left = alice.next("member_left");
    assertThat(left.path("user").asText()).isEqualTo("bob");
    // the name is free again on this node
    RawWsClient bobAgain = hello("bob");
    bobAgain.send("{\"type\":\"join\",\"room\":\"r\",\"id\":\"j\"}");
    assertThat(bobAgain.reply("j").path("type").asText()).isEqualTo("joined");
  }

  @Test
  void unavailableAndAvailableEventsReachMembers() throws Exception {
    start();
    RawWsClient alice = hello("alice");
    alice.send("{\"type\":\"create\",\"room\":\"r\",\"id\":\"c\"}");
    alice.reply("c");
    alice.send("{\"type\":\"join\",\"room\":\"r\",\"id\":\"j\"}");
    alice.reply("j");
    node.emit("r", new RoomEvent.RoomUnavailable("r", "admin node n1 is down"));
    JsonNode u = alice.next("unavailable");
    assertThat(u.path("room").asText()).isEqualTo("r");
    assertThat(u.path("reason").asText()).isEqualTo("admin node n1 is down");
    node.emit("r", new RoomEvent.RoomAvailable("r", io.chatmesh.NodeId.of("n1"), 7));
    assertThat(alice.next("available").path("room").asText()).isEqualTo("r");
    node.emit("r", new RoomEvent.MessagesLost("r", 1, 5, 9));
    JsonNode lost = alice.next("lost");
    assertThat(lost.path("from").asLong()).isEqualTo(5);
    assertThat(lost.path("to").asLong()).isEqualTo(9);
  }

  @Test
  void servesTheWebPageAndRejectsOtherPaths() throws Exception {
    start();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    URI base = URI.create("http://127.0.0.1:" + gateway.port());
    HttpResponse<String> page = get(http, base, "/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    assertThat(page.body()).contains("<title>chatmesh</title>").contains("from \"/chatmesh.js\"");
    assertThat(page.headers().firstValue("content-security-policy")).hasValueSatisfying(
        csp -> assertThat(csp).contains("script-src 'self'"));
    HttpResponse<String> library = get(http, base, "/chatmesh.js");
    assertThat(library.statusCode()).isEqualTo(200);
    assertThat(library.headers().firstValue("content-type")).hasValue("text/javascript; charset=utf-8");
    assertThat(library.body()).contains("export class ChatClient").contains("new this.WebSocket(");
    HttpResponse<String> missing = get(http, base, "/nope");
    assertThat(missing.statusCode()).isEqualTo(404);
    HttpResponse<String> post = http.send(
        HttpRequest.newBuilder(base.resolve("/")).POST(HttpRequest.BodyPublishers.ofString("x"))
            .timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
  }

  private static HttpResponse<String> get(HttpClient http, URI base, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void closeSaysGoingAwayAndStopsEveryThread() throws Exception {
    start();
    RawWsClient c = hello("alice");
    assertThat(threadsNamed("chatmesh-ws-")).isNotEmpty();
    gateway.close();
    assertThat(c.awaitClose(RawWsClient.WAIT)).isEqualTo(1001);
    await().atMost(Duration.ofSeconds(10)).until(() -> threadsNamed("chatmesh-ws-").isEmpty());
    gateway.close(); // idempotent
  }

  private static List<String> threadsNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith(prefix))
        .toList();
  }

  private static void assertError(JsonNode frame, String code) {
    assertThat(frame.path("type").asText()).as("frame %s", frame).isEqualTo("error");
    assertThat(frame.path("code").asText()).as("frame %s", frame).isEqualTo(code);
    assertThat(frame.path("message").asText()).isNotBlank();
  }

  private static void assertErrorMentions(JsonNode frame, String code, String text) {
    assertError(frame, code);
    assertThat(frame.path("message").asText()).contains(text);
  }
}
