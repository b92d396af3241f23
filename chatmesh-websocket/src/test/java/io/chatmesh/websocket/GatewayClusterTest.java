package io.chatmesh.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import io.chatmesh.wire.Prepare;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole protocol across a real 3-node cluster (the engine over the in-memory transport), with a
 * gateway per node and WebSocket clients on different nodes.
 */
@Timeout(90)
class GatewayClusterTest {
  private InMemoryCluster cluster;
  private final Map<String, WebSocketGateway> gateways = new HashMap<>();
  private final List<RawWsClient> clients = new ArrayList<>();
  private final AtomicInteger ids = new AtomicInteger();

  @BeforeEach
  void startCluster() {
    cluster = InMemoryCluster.builder()
        .nodes(3)
        .configure(b -> b.heartbeatInterval(Duration.ofMillis(250))
            .failureTimeout(Duration.ofMillis(2000))
            .prepareTimeout(Duration.ofMillis(700))
            .requestTimeout(Duration.ofSeconds(3)))
        .build()
        .start();
    await().atMost(Duration.ofSeconds(10)).until(cluster::connected);
    for (String n : List.of("n1", "n2", "n3")) {
      gateways.put(n, WebSocketGateway.builder(cluster.node(n)).port(0).build().start());
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (RawWsClient c : clients) {
      c.close();
    }
    gateways.values().forEach(WebSocketGateway::close);
    cluster.close();
  }

  private RawWsClient connect(String node, String user) throws Exception {
    RawWsClient c = RawWsClient.connect(gateways.get(node).port());
    clients.add(c);
    JsonNode w = request(c, "{\"type\":\"hello\",\"user\":\"" + user + "\"}");
    assertThat(w.path("type").asText()).isEqualTo("welcome");
    assertThat(w.path("node").asText()).isEqualTo(node);
    return c;
  }

  /** Sends {@code json} (an object without "id") with a fresh id and returns the reply to it. */
  private JsonNode request(RawWsClient c, String json) throws Exception {
    String id = "q" + ids.incrementAndGet();
    c.send(json.substring(0, json.length() - 1) + ",\"id\":\"" + id + "\"}");
    return c.reply(id);
  }

  private void awaitRoomVisible(RawWsClient c, String room, String admin) {
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      JsonNode rooms = request(c, "{\"type\":\"rooms\"}");
      for (JsonNode r : rooms.path("rooms")) {
        if (r.path("room").asText().equals(room) && r.path("admin").asText().equals(admin)) {
          return true;
        }
      }
      return false;
    });
  }

  @Test
  void usersOnThreeNodesShareOneRoomInOneOrder() throws Exception {
    RawWsClient alice = connect("n1", "alice");
    RawWsClient bob = connect("n2", "bob");
    RawWsClient carol = connect("n3", "carol");

    JsonNode created = request(bob, "{\"type\":\"create\",\"room\":\"general\"}");
    assertThat(created.path("type").asText()).isEqualTo("created");
    assertThat(created.path("admin").asText()).isEqualTo("n2");
    awaitRoomVisible(alice, "general", "n2");
    awaitRoomVisible(carol, "general", "n2");
    assertThat(request(alice, "{\"type\":\"create\",\"room\":\"general\"}").path("code").asText())
        .isEqualTo("ROOM_EXISTS");

    JsonNode aj = request(alice, "{\"type\":\"join\",\"room\":\"general\"}");
    assertThat(aj.path("type").asText()).isEqualTo("joined");
    assertThat(aj.path("admin").asText()).isEqualTo("n2");
    assertThat(aj.path("members").toString()).isEqualTo("[\"alice\"]");
    JsonNode bj = request(bob, "{\"type\":\"join\",\"room\":\"general\"}");
    assertThat(bj.path("members").toString()).isEqualTo("[\"alice\",\"bob\"]");
    assertThat(bj.path("seq").asLong()).isGreaterThan(aj.path("seq").asLong());
    JsonNode cj = request(carol, "{\"type\":\"join\",\"room\":\"general\"}");
    assertThat(cj.path("members").toString()).isEqualTo("[\"alice\",\"bob\",\"carol\"]");
    JsonNode carolJoined = alice.next(f -> f.path("type").asText().equals("member_joined")
        && f.path("user").asText().equals("carol"));
    assertThat(carolJoined.path("seq").asLong()).isEqualTo(cj.path("seq").asLong());

    // everyone sends at once; every member sees the same sequence
    for (int i = 0; i < 5; i++) {
      alice.send("{\"type\":\"send\",\"room\":\"general\",\"text\":\"a" + i + "\",\"id\":\"a-" + i + "\"}");
      bob.send("{\"type\":\"send\",\"room\":\"general\",\"text\":\"b" + i + "\",\"id\":\"b-" + i + "\"}");
      carol.send("{\"type\":\"send\",\"room\":\"general\",\"text\":\"c" + i + "\",\"id\":\"c-" + i + "\"}");
    }
    List<String> seenByAlice = messages(alice, 15);
    assertThat(messages(bob, 15)).isEqualTo(seenByAlice);
    assertThat(messages(carol, 15)).isEqualTo(seenByAlice);
    JsonNode ackA0 = alice.reply("a-0");
    assertThat(ackA0.path("type").asText()).isEqualTo("ack");

    // a retry with the same id: same seq, delivered once
    alice.send("{\"type\":\"send\",\"room\":\"general\",\"text\":\"a0\",\"id\":\"a-0\"}");
    JsonNode again = alice.reply("a-0");
    assertThat(again.path("type").asText()).isEqualTo("ack");
    assertThat(again.path("seq").asLong()).isEqualTo(ackA0.path("seq").asLong());
    assertThat(again.path("duplicate").asBoolean()).isTrue();
    JsonNode after = request(carol, "{\"type\":\"send\",\"room\":\"general\",\"text\":\"after\"}");
    JsonNode nextAtBob = bob.next("message");
    assertThat(nextAtBob.path("text").asText()).as("the retry was not delivered again").isEqualTo("after");
    assertThat(nextAtBob.path("seq").asLong()).isEqualTo(after.path("seq").asLong());

    // only the admin node may delete; leave is announced everywhere
    assertThat(request(alice, "{\"type\":\"delete\",\"room\":\"general\"}").path("code").asText())
        .isEqualTo("NOT_ADMIN");
    JsonNode left = request(carol, "{\"type\":\"leave\",\"room\":\"general\"}");
    assertThat(left.path("type").asText()).isEqualTo("left");
    JsonNode carolLeft = alice.next("member_left");
    assertThat(carolLeft.path("user").asText()).isEqualTo("carol");
    assertThat(request(carol, "{\"type\":\"send\",\"room\":\"general\",\"text\":\"x\"}").path("code").asText())
        .isEqualTo("NOT_MEMBER");

    // the admin deletes: every member on every node is told
    JsonNode deleted = request(bob, "{\"type\":\"delete\",\"room\":\"general\"}");
    assertThat(deleted.path("type").asText()).isEqualTo("deleted");
    assertThat(alice.next("deleted").path("room").asText()).isEqualTo("general");
    await().atMost(Duration.ofSeconds(10)).until(
        () -> request(carol, "{\"type\":\"join\",\"room\":\"general\"}").path("code").asText().equals("UNKNOWN_ROOM"));
  }

  @Test
  void deleteThatAParticipantDoesNotAnswerIsAborted() throws Exception {
    RawWsClient alice = connect("n1", "alice");
    RawWsClient carol = connect("n3", "carol");
    assertThat(request(alice, "{\"type\":\"create\",\"room\":\"keep\"}").path("type").asText()).isEqualTo("created");
    awaitRoomVisible(carol, "keep", "n1");
    request(alice, "{\"type\":\"join\",\"room\":\"keep\"}");
    request(carol, "{\"type\":\"join\",\"room\":\"keep\"}");
    InMemoryNetwork net = cluster.network();
    net.filter((from, to, envelope) -> !(envelope.message() instanceof Prepare && to.equals("n3")));
    JsonNode aborted = request(alice, "{\"type\":\"delete\",\"room\":\"keep\"}");
    assertThat(aborted.path("type").asText()).isEqualTo("error");
    assertThat(aborted.path("code").asText()).isEqualTo("ABORTED");
    net.filter(null);
    // the room is intact on every node
    JsonNode sent = request(carol, "{\"type\":\"send\",\"room\":\"keep\",\"text\":\"still here\"}");
    assertThat(sent.path("type").asText()).isEqualTo("ack");
    assertThat(alice.next("message").path("text").asText()).isEqualTo("still here");
  }

  @Test
  void membersAreToldWhenTheAdminNodeDies() throws Exception {
    RawWsClient alice = connect("n1", "alice");
    RawWsClient bob = connect("n2", "bob");
    RawWsClient carol = connect("n3", "carol");
    request(bob, "{\"type\":\"create\",\"room\":\"fragile\"}");
    awaitRoomVisible(alice, "fragile", "n2");
    awaitRoomVisible(carol, "fragile", "n2");
    request(alice, "{\"type\":\"join\",\"room\":\"fragile\"}");
    request(carol, "{\"type\":\"join\",\"room\":\"fragile\"}");

    cluster.crash("n2");
    JsonNode ua = alice.next("unavailable");
    assertThat(ua.path("room").asText()).isEqualTo("fragile");
    assertThat(ua.path("reason").asText()).isNotBlank();
    assertThat(carol.next("unavailable").path("room").asText()).isEqualTo("fragile");
    JsonNode refused = request(alice, "{\"type\":\"send\",\"room\":\"fragile\",\"text\":\"anyone?\"}");
    assertThat(refused.path("type").asText()).isEqualTo("error");
    assertThat(refused.path("code").asText()).isEqualTo("UNAVAILABLE");
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      for (JsonNode r : request(carol, "{\"type\":\"rooms\"}").path("rooms")) {
        if (r.path("room").asText().equals("fragile")) {
          return !r.path("available").asBoolean(true);
        }
      }
      return true;
    });
  }

  @Test
  void aClientResumesOnAnotherNodeAndPagesBackThroughHistory() throws Exception {
    RawWsClient alice = connect("n1", "alice");
    RawWsClient bob = connect("n2", "bob");
    assertThat(request(alice, "{\"type\":\"create\",\"room\":\"hist\"}").path("type").asText()).isEqualTo("created");
    awaitRoomVisible(bob, "hist", "n1");
    request(alice, "{\"type\":\"join\",\"room\":\"hist\"}");
    long epoch = request(bob, "{\"type\":\"join\",\"room\":\"hist\"}").path("epoch").asLong();
    for (int i = 0; i < 4; i++) {
      request(alice, "{\"type\":\"send\",\"room\":\"hist\",\"text\":\"m" + i + "\"}");
    }
    List<String> seen = messages(bob, 4);
    long lastSeen = Long.parseLong(seen.get(3).split(":")[0]);
    bob.close(); // bob's connection drops; his node removes him when the connection closes
    for (int i = 4; i < 7; i++) {
      request(alice, "{\"type\":\"send\",\"room\":\"hist\",\"text\":\"m" + i + "\"}");
    }
    RawWsClient bobAgain = connect("n3", "bob");
    JsonNode resumed = request(bobAgain, "{\"type\":\"join\",\"room\":\"hist\",\"since\":" + lastSeen + ",\"epoch\":" + epoch + "}");
    assertThat(resumed.path("type").asText()).isEqualTo("joined");
    assertThat(resumed.path("recovered").asBoolean()).isTrue();
    assertThat(messages(bobAgain, 3)).extracting(m -> m.split(":")[2]).containsExactly("m4", "m5", "m6");
    JsonNode ownJoin = bobAgain.next(f -> f.path("type").asText().equals("member_joined") && f.path("user").asText().equals("bob"));
    assertThat(ownJoin.path("seq").asLong()).isEqualTo(resumed.path("seq").asLong());

    RawWsClient carol = connect("n3", "carol");
    JsonNode last = request(carol, "{\"type\":\"join\",\"room\":\"hist\",\"last\":2}");
    assertThat(last.path("recovered").asBoolean()).isTrue();
    JsonNode firstOfLast = carol.next(f -> f.has("seq"));
    assertThat(firstOfLast.path("seq").asLong()).isEqualTo(last.path("seq").asLong() - 2);

    JsonNode page = request(carol, "{\"type\":\"history\",\"room\":\"hist\",\"limit\":5}");
    assertThat(page.path("type").asText()).isEqualTo("history");
    List<String> texts = new ArrayList<>();
    page.path("messages").forEach(m -> texts.add(m.path("text").asText()));
    assertThat(texts).containsExactly("m2", "m3", "m4", "m5", "m6");
    long before = page.path("messages").get(0).path("seq").asLong();
    JsonNode older = request(carol, "{\"type\":\"history\",\"room\":\"hist\",\"before\":" + before + ",\"limit\":5}");
    List<String> olderTexts = new ArrayList<>();
    older.path("messages").forEach(m -> olderTexts.add(m.path("text").asText()));
    assertThat(olderTexts).containsExactly("m0", "m1");
    assertThat(request(carol, "{\"type\":\"history\",\"room\":\"hist\",\"limit\":0}").path("code").asText()).isEqualTo("BAD_REQUEST");
    assertThat(request(carol, "{\"type\":\"join\",\"room\":\"hist\",\"last\":2,\"since\":1}").path("code").asText()).isEqualTo("BAD_REQUEST");
  }

  @Test
  void aResumeWhoseHistoryHoldsTheUsersOwnNodeFailedEventStaysJoined() throws Exception {
    RawWsClient bob = connect("n1", "bob");
    RawWsClient alice = connect("n2", "alice");
    request(bob, "{\"type\":\"create\",\"room\":\"moving\"}");
    awaitRoomVisible(alice, "moving", "n1");
    request(bob, "{\"type\":\"join\",\"room\":\"moving\"}");
    JsonNode aliceJoined = request(alice, "{\"type\":\"join\",\"room\":\"moving\"}");
    long aliceSeen = aliceJoined.path("seq").asLong();

    cluster.crash("n2"); // alice's node dies; the admin removes her (NODE_FAILED, sequenced)
    JsonNode removed = bob.next("member_left");
    assertThat(removed.path("reason").asText()).isEqualTo("NODE_FAILED");
    RawWsClient aliceAgain = connect("n3", "alice");
    JsonNode resumed = request(aliceAgain,
        "{\"type\":\"join\",\"room\":\"moving\",\"since\":" + aliceSeen + ",\"epoch\":" + aliceJoined.path("epoch").asLong() + "}");
    assertThat(resumed.path("type").asText()).isEqualTo("joined");
    JsonNode history = aliceAgain.next("member_left");
    assertThat(history.path("user").asText()).isEqualTo("alice");
    assertThat(history.path("seq").asLong()).isLessThan(resumed.path("seq").asLong());

    // that old event is history: her new membership stays, she gets the live stream and can leave
    request(bob, "{\"type\":\"send\",\"room\":\"moving\",\"text\":\"still there?\"}");
    assertThat(aliceAgain.next("message").path("text").asText()).isEqualTo("still there?");
    assertThat(request(aliceAgain, "{\"type\":\"leave\",\"room\":\"moving\"}").path("type").asText()).isEqualTo("left");
  }

  /** The next {@code n} chat messages as "seq:user:text". */
  @Test
  void oneUserWithTwoConnectionsOnOneNodeAndAThirdOnAnotherReceivesEverythingOnEach() throws Exception {
    RawWsClient bob = connect("n1", "bob");
    request(bob, "{\"type\":\"create\",\"room\":\"tabs\"}");
    assertThat(request(bob, "{\"type\":\"join\",\"room\":\"tabs\"}").path("type").asText()).isEqualTo("joined");
    assertThat(request(bob, "{\"type\":\"send\",\"room\":\"tabs\",\"text\":\"before\"}").path("type").asText()).isEqualTo("ack");

    RawWsClient tab1 = connect("n2", "alice");
    RawWsClient tab2 = connect("n2", "alice"); // before: refused, "already connected"
    RawWsClient phone = connect("n3", "alice");
    awaitRoomVisible(tab1, "tabs", "n1");
    awaitRoomVisible(phone, "tabs", "n1");
    assertThat(request(tab1, "{\"type\":\"join\",\"room\":\"tabs\"}").path("type").asText()).isEqualTo("joined");
    // before: ALREADY_MEMBER for the second tab and for the phone
    JsonNode second = request(tab2, "{\"type\":\"join\",\"room\":\"tabs\",\"last\":5}");
    assertThat(second.path("type").asText()).isEqualTo("joined");
    assertThat(second.path("members").toString()).isEqualTo("[\"alice\",\"bob\"]");
    assertThat(tab2.next("message").path("text").asText()).isEqualTo("before"); // its history
    assertThat(request(phone, "{\"type\":\"join\",\"room\":\"tabs\"}").path("type").asText()).isEqualTo("joined");

    request(bob, "{\"type\":\"send\",\"room\":\"tabs\",\"text\":\"hello alice\"}");
    request(tab1, "{\"type\":\"send\",\"room\":\"tabs\",\"text\":\"from tab 1\"}");
    request(tab2, "{\"type\":\"send\",\"room\":\"tabs\",\"text\":\"from tab 2\"}");
    request(phone, "{\"type\":\"send\",\"room\":\"tabs\",\"text\":\"from the phone\"}");
    List<String> seen = messages(tab1, 4);
    assertThat(seen).extracting(m -> m.substring(m.indexOf(':') + 1))
        .containsExactly("bob:hello alice", "alice:from tab 1", "alice:from tab 2", "alice:from the phone");
    assertThat(messages(tab2, 4)).isEqualTo(seen);
    assertThat(messages(phone, 4)).isEqualTo(seen);
    assertThat(messages(bob, 5)).endsWith(seen.toArray(new String[0]));

    // one tab leaves: the others stay in the room, bob hears no member_left
    assertThat(request(tab2, "{\"type\":\"leave\",\"room\":\"tabs\"}").path("type").asText()).isEqualTo("left");
    request(bob, "{\"type\":\"send\",\"room\":\"tabs\",\"text\":\"still here?\"}");
    assertThat(tab1.next("message").path("text").asText()).isEqualTo("still here?");
    assertThat(phone.next("message").path("text").asText()).isEqualTo("still here?");
    bob.next(f -> f.path("text").asText().equals("still here?"));
    assertThat(bob.received()).noneMatch(f -> f.path("type").asText().equals("member_left"));
    // and a tab that closes does not take the others out either
    tab1.close();
    request(bob, "{\"type\":\"send\",\"room\":\"tabs\",\"text\":\"and now?\"}");
    assertThat(phone.next("message").path("text").asText()).isEqualTo("and now?");
    bob.next(f -> f.path("text").asText().equals("and now?"));
    assertThat(bob.received()).noneMatch(f -> f.path("type").asText().equals("member_left"));
  }

  @Test
  void hostileUsersCannotDeleteAnotherUsersRoomNorJoinAPrivateOneUninvited() throws Exception {
    RawWsClient alice = connect("n1", "alice");
    RawWsClient mallory = connect("n1", "mallory"); // on the admin node, where delete runs
    RawWsClient bob = connect("n2", "bob");
    JsonNode created = request(alice, "{\"type\":\"create\",\"room\":\"secret\",\"private\":true}");
    assertThat(created.path("owner").asText()).isEqualTo("alice");
    assertThat(created.path("private").asBoolean()).isTrue();
    awaitRoomVisible(bob, "secret", "n1");

    // before: mallory's delete went through and the room was gone everywhere
    JsonNode del = request(mallory, "{\"type\":\"delete\",\"room\":\"secret\"}");
    assertThat(del.path("code").asText()).isEqualTo("FORBIDDEN");
    assertThat(request(mallory, "{\"type\":\"invite\",\"room\":\"secret\",\"user\":\"mallory\"}").path("code").asText())
        .isEqualTo("FORBIDDEN");
    // before: anyone joined
    assertThat(request(mallory, "{\"type\":\"join\",\"room\":\"secret\"}").path("code").asText()).isEqualTo("FORBIDDEN");
    assertThat(request(bob, "{\"type\":\"join\",\"room\":\"secret\"}").path("code").asText()).isEqualTo("FORBIDDEN");

    JsonNode inv = request(alice, "{\"type\":\"invite\",\"room\":\"secret\",\"user\":\"bob\"}");
    assertThat(inv.path("type").asText()).isEqualTo("invited");
    assertThat(inv.path("user").asText()).isEqualTo("bob");
    assertThat(request(bob, "{\"type\":\"join\",\"room\":\"secret\"}").path("type").asText()).isEqualTo("joined");
    assertThat(request(alice, "{\"type\":\"uninvite\",\"room\":\"secret\",\"user\":\"bob\"}").path("type").asText())
        .isEqualTo("uninvited");

    assertThat(request(alice, "{\"type\":\"delete\",\"room\":\"secret\"}").path("type").asText()).isEqualTo("deleted");
    assertThat(bob.next("deleted").path("room").asText()).isEqualTo("secret");
  }

  private static List<String> messages(RawWsClient c, int n) throws Exception {
    List<String> out = new ArrayList<>();
    long last = 0;
    for (int i = 0; i < n; i++) {
      JsonNode m = c.next("message");
      assertThat(m.path("seq").asLong()).as("strictly increasing seq").isGreaterThan(last);
      last = m.path("seq").asLong();
      out.add(last + ":" + m.path("user").asText() + ":" + m.path("text").asText());
    }
    return out;
  }
}
