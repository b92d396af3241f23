package io.chatmesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.membership.SeedResolver;
import io.chatmesh.testkit.ClockDriver;
import io.chatmesh.time.ManualClock;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A node whose seed is {@code dns:NAME:PORT}, over the in-memory network (whose addresses are the
 * resolved {@code ip:port} texts) with an injected resolver and a manual clock: not ready while
 * the name has no address, new records greeted, vanished ones not dropping live peers, failures
 * survived, IPv6, and malformed seeds refused.
 */
class DnsSeedsTest {
  private static final Duration INTERVAL = Duration.ofSeconds(1);

  private final ManualClock clock = new ManualClock();
  private final ClockDriver driver = new ClockDriver(clock, Duration.ofSeconds(30), Duration.ofMillis(5));
  private final InMemoryNetwork net = new InMemoryNetwork(1, clock);
  private final List<ChatNode> nodes = new ArrayList<>();
  /** The records of chat.test now, or a failure. */
  private final AtomicReference<Object> records = new AtomicReference<>(List.of());
  private final SeedResolver resolver = name -> {
    Object r = records.get();
    if (!name.equals("chat.test")) {
      throw new UnknownHostException(name);
    }
    if (r instanceof UnknownHostException e) {
      throw e;
    }
    @SuppressWarnings("unchecked")
    List<InetAddress> out = (List<InetAddress>) r;
    return out;
  };

  @AfterEach
  void close() {
    nodes.forEach(ChatNode::close);
  }

  private ChatNode node(String id, String address, String... seeds) {
    ChatNode n = ChatNode.builder().nodeId(id).transport(net.transport(address)).clock(clock)
        .heartbeatInterval(Duration.ofMillis(100)).failureTimeout(Duration.ofSeconds(3))
        .seeds(seeds).seedResolveInterval(INTERVAL).seedResolver(resolver)
        .build().start();
    nodes.add(n);
    return n;
  }

  /**
   * Lets {@code n} resolution rounds pass in the driver's small steps (heartbeats keep flowing, so
   * no live peer times out on the way).
   */
  private void passRounds(int n) {
    long until = clock.millis() + INTERVAL.multipliedBy(n).toMillis();
    driver.awaitUntil(n + " rounds pass", () -> clock.millis() >= until);
  }

  private void answer(String... ips) throws UnknownHostException {
    List<InetAddress> out = new ArrayList<>();
    for (String ip : ips) {
      out.add(InetAddress.getByName(ip)); // literals: no lookup
    }
    records.set(out);
  }

  @Test
  void aNameWithoutAddressesKeepsTheNodeNotReadyUntilItsRecordsAppear() throws Exception {
    ChatNode a = node("a", "10.0.0.1:9091");
    ChatNode x = node("x", "10.0.0.9:9091", "dns:chat.test:9091");
    clock.advance(INTERVAL.multipliedBy(3));

    assertThat(x.isReady()).isFalse();
    assertThat(x.health().seedsMet()).isFalse();
    assertThat(x.health().problems()).anyMatch(p -> p.contains("dns:chat.test:9091"));
    ChatException refused = driver.failure(x.createRoom("early"));
    assertThat(refused.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(refused.getMessage()).contains("dns:chat.test:9091");

    answer("10.0.0.1", "10.0.0.9"); // a, and x itself, as a headless Service lists every pod
    driver.awaitUntil("x meets a through DNS", () -> x.liveNodes().contains(a.id()));
    driver.awaitUntil("x is ready", x::isReady);
    assertThat(x.health().ready()).isTrue();
  }

  @Test
  void aNameThatListsOnlyThisNodeMakesItTheReadyFirstNode() throws Exception {
    answer("10.0.0.1");
    ChatNode first = node("first", "10.0.0.1:9091", "dns:chat.test:9091");
    driver.awaitUntil("the first node is ready", first::isReady);
    assertThat(driver.result(first.createRoom("general")).name()).isEqualTo("general");
  }

  @Test
  void newRecordsAreGreetedAndVanishedOnesDoNotDropLivePeers() throws Exception {
    ChatNode a = node("a", "10.0.0.1:9091");
    ChatNode b = node("b", "10.0.0.2:9091");
    ChatNode c = node("c", "[fd00::3]:9091");
    answer("10.0.0.1");
    ChatNode x = node("x", "10.0.0.9:9091", "dns:chat.test:9091");
    driver.awaitUntil("x meets a", () -> x.liveNodes().contains(a.id()));
    assertThat(x.liveNodes()).doesNotContain(b.id(), c.id());

    answer("10.0.0.1", "10.0.0.2", "fd00:0:0:0:0:0:0:3");
    driver.awaitUntil("x meets b and c (IPv6) once DNS lists them",
        () -> x.liveNodes().containsAll(List.of(a.id(), b.id(), c.id())));

    answer("10.0.0.1"); // b and c vanish from DNS, but they are alive
    passRounds(5);
    assertThat(x.liveNodes()).containsAll(List.of(a.id(), b.id(), c.id()));
    assertThat(b.liveNodes()).contains(x.id());
  }

  @Test
  void aFailingResolverNeitherStopsTheNodeNorItsLookups() throws Exception {
    ChatNode a = node("a", "10.0.0.1:9091");
    ChatNode b = node("b", "10.0.0.2:9091");
    answer("10.0.0.1");
    ChatNode x = node("x", "10.0.0.9:9091", "dns:chat.test:9091");
    driver.awaitUntil("x meets a", () -> x.liveNodes().contains(a.id()));

    records.set(new UnknownHostException("chat.test: Temporary failure in name resolution"));
    passRounds(5);
    assertThat(x.liveNodes()).contains(a.id());
    assertThat(x.health().ready()).isTrue();

    answer("10.0.0.1", "10.0.0.2"); // DNS is back, with a new record
    driver.awaitUntil("x meets b", () -> x.liveNodes().contains(b.id()));
  }

  @Test
  void aMalformedDnsSeedIsABadRequestNamingIt() {
    for (String bad : List.of("dns:", "dns:chat", "dns:chat:", "dns::9091", "dns:chat:0", "dns:chat:65536",
        "dns:chat:port", "dns:bad name:9091", "DNS:[::1]:9091")) {
      assertThatThrownBy(() -> ChatNode.builder().seeds(bad))
          .as(bad)
          .isInstanceOfSatisfying(ChatException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(e.getMessage()).contains("'" + bad + "'").contains("dns:NAME:PORT");
          });
    }
    assertThat(SeedResolver.DnsSeed.parse("DNS:chat.default.svc.cluster.local:9091"))
        .hasValue(new SeedResolver.DnsSeed("DNS:chat.default.svc.cluster.local:9091", "chat.default.svc.cluster.local", 9091));
    assertThat(SeedResolver.DnsSeed.parse("127.0.0.1:9091")).isEmpty();
    assertThatThrownBy(() -> ChatNode.builder().seedResolveInterval(Duration.ZERO))
        .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.getMessage()).contains("seedResolveInterval"));
    assertThatThrownBy(() -> ChatNode.builder().seedResolver(null))
        .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.getMessage()).contains("seedResolver"));
  }
}
