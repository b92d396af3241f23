package io.chatmesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.UserId;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.Heartbeat;
import io.chatmesh.wire.SendRequest;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.WireMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@link Transport} contract, written once and run over every transport by a near-empty
 * subclass that supplies a {@link TransportFixture}: per-link FIFO, one receiver call at a time per
 * inbound link, delivery after the peer restarts on the same address, sends to unknown or dead
 * addresses that neither throw nor block nor disturb other links, large messages, every message
 * type intact, concurrent senders, and lifecycle errors.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class AbstractTransportContractTest {

  /** Bound for every wait on the network. */
  protected static final Duration WAIT = Duration.ofSeconds(20);

  private TransportFixture fixture;
  private final List<Transport> opened = new CopyOnWriteArrayList<>();

  /** A fresh fixture for one test. */
  protected abstract TransportFixture newFixture();

  /** Size of the text in the large-message test; must fit the transport's configured maximum. */
  protected int largeTextChars() {
    return 1 << 20;
  }

  @BeforeEach
  void setUpFixture() {
    fixture = newFixture();
  }

  @AfterEach
  void tearDownFixture() {
    for (Transport t : opened) {
      t.close();
    }
    fixture.close();
  }

  // ------------------------------------------------------------------------------ helpers

  /** A started transport and what it received. */
  protected final class Peer {
    final String name;
    final NodeId id;
    final Transport transport;
    final String address;
    final List<Envelope> received = new CopyOnWriteArrayList<>();
    final Map<NodeId, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    final AtomicInteger overlaps = new AtomicInteger();

    Peer(String name) {
      this.name = name;
      this.id = NodeId.of(name);
      this.transport = fixture.create(name);
      opened.add(transport);
      this.address =
          transport.start(
              e -> {
                AtomicInteger f = inFlight.computeIfAbsent(e.from(), k -> new AtomicInteger());
                if (f.incrementAndGet() > 1) {
                  overlaps.incrementAndGet();
                }
                received.add(e);
                f.decrementAndGet();
              });
    }

    void send(Peer to, WireMessage m) {
      transport.send(to.address, new Envelope(id, 7, m));
    }

    List<WireMessage> from(Peer p) {
      return received.stream().filter(e -> e.from().equals(p.id)).map(Envelope::message).toList();
    }
  }

  protected Peer peer(String name) {
    return new Peer(name);
  }

  private static SendRequest msg(String room, long i) {
    return new SendRequest(i, room, UserId.of("u"), "c" + i, "text " + i);
  }

  private static List<Long> ids(List<WireMessage> ms, String room) {
    return ms.stream()
        .filter(m -> m instanceof SendRequest s && s.room().equals(room))
        .map(m -> ((SendRequest) m).requestId())
        .toList();
  }

  private static List<Long> range(long from, long toExclusive) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i < toExclusive; i++) {
      out.add(i);
    }
    return out;
  }

  // ------------------------------------------------------------------------------ tests

  @Test
  void startReturnsAnAddressAndASecondStartIsRefused() {
    Peer a = peer("a");
    assertThat(a.address).isNotBlank();
    assertThatThrownBy(() -> a.transport.start(e -> {}))
        .isInstanceOf(ChatException.class)
        .extracting(e -> ((ChatException) e).code())
        .isEqualTo(ErrorCode.BAD_REQUEST);
  }

  @Test
  void everyMessageTypeArrivesIntactWithSenderAndIncarnation() {
    Peer a = peer("a");
    Peer b = peer("b");
    List<WireMessage> samples = new ArrayList<>(WireSamples.all());
    samples.addAll(WireSamples.errorReplies());
    for (WireMessage m : samples) {
      a.send(b, m);
    }
    await().atMost(WAIT).until(() -> b.received.size() == samples.size());
    assertThat(b.received).allSatisfy(e -> assertThat(e.incarnation()).isEqualTo(7));
    assertThat(b.received).allSatisfy(e -> assertThat(e.from()).isEqualTo(a.id));
    assertThat(b.from(a)).containsExactlyElementsOf(samples);
  }

  @Test
  void keepsOrderPerLinkAndCallsTheReceiverOneAtATimePerLink() {
    Peer a = peer("a");
    Peer b = peer("b");
    Peer c = peer("c");
    int n = 3000;
    for (int i = 0; i < n; i++) {
      a.send(c, msg("a", i));
      b.send(c, msg("b", i));
    }
    await().atMost(WAIT).until(() -> c.received.size() == 2 * n);
    assertThat(ids(c.from(a), "a")).containsExactlyElementsOf(range(0, n));
    assertThat(ids(c.from(b), "b")).containsExactlyElementsOf(range(0, n));
    assertThat(c.overlaps.get()).as("concurrent receiver calls for one link").isZero();
  }

  @Test
  void deliversToAPeerThatRestartedOnTheSameAddress() {
    Peer a = peer("a");
    Peer b = peer("b");
    a.send(b, msg("before", 0));
    await().atMost(WAIT).until(() -> b.received.size() == 1);

    fixture.crash("b");
    for (int i = 0; i < 10; i++) {
      a.send(b, msg("down", i)); // may be lost or delivered late: both are allowed
    }
    Peer b2 = peer("b");
    assertThat(b2.address).isEqualTo(b.address);

    // later sends reach the restarted peer (the sender may need a moment to notice the restart)
    AtomicInteger probe = new AtomicInteger();
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              a.send(b2, msg("probe", probe.getAndIncrement()));
              return !ids(b2.from(a), "probe").isEmpty();
            });
    int n = 200;
    for (int i = 0; i < n; i++) {
      a.send(b2, msg("after", i));
    }
    await().atMost(WAIT).until(() -> ids(b2.from(a), "after").size() == n);
    assertThat(ids(b2.from(a), "after")).containsExactlyElementsOf(range(0, n));
    assertThat(b.received).as("the crashed transport receives nothing more").hasSize(1);
  }

  @Test
  void sendingToUnknownOrDeadAddressesNeitherThrowsNorBlocksNorHurtsOtherLinks() throws Exception {
    Peer a = peer("a");
    Peer b = peer("b");
    Peer dead = peer("dead");
    String deadAddress = dead.address;
    dead.transport.close();

    List<String> bad = List.of(deadAddress, "no-such-node", "not an address:::", "127.0.0.1:notaport", "");
    ExecutorService ex = Executors.newSingleThreadExecutor();
    try {
      Future<?> sending =
          ex.submit(
              () -> {
                for (int i = 0; i < 500; i++) {
                  for (String addr : bad) {
                    a.transport.send(addr, new Envelope(a.id, 7, new Heartbeat()));
                  }
                }
              });
      // 2,500 sends to bad addresses return promptly (they would take minutes if each blocked)
      sending.get(10, TimeUnit.SECONDS);
    } finally {
      ex.shutdownNow();
    }
    int n = 300;
    for (int i = 0; i < n; i++) {
      a.send(b, msg("ok", i));
    }
    await().atMost(WAIT).until(() -> ids(b.from(a), "ok").size() == n);
    assertThat(ids(b.from(a), "ok")).containsExactlyElementsOf(range(0, n));
    assertThat(dead.received).isEmpty();
  }

  @Test
  void carriesLargeMessagesInOrderWithSmallOnes() {
    Peer a = peer("a");
    Peer b = peer("b");
    char[] chars = new char[largeTextChars()];
    for (int i = 0; i < chars.length; i++) {
      chars[i] = (char) ('a' + i % 26);
    }
    String text = new String(chars);
    List<WireMessage> sent = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      sent.add(new Sequenced("big", 1, i, EventKind.MESSAGE, UserId.of("u"), text, "cm" + i, i));
      sent.add(msg("small", i));
    }
    for (WireMessage m : sent) {
      a.send(b, m);
    }
    await().atMost(WAIT).until(() -> b.received.size() == sent.size());
    assertThat(b.from(a)).containsExactlyElementsOf(sent);
  }

  @Test
  void concurrentSendersAllArriveInPerSenderOrder() throws Exception {
    Peer a = peer("a");
    Peer c = peer("c");
    Peer b = peer("b");
    int threads = 8;
    int perThread = 500;
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService ex = Executors.newFixedThreadPool(threads + 2);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Peer from = t % 2 == 0 ? a : c;
        String room = "t" + t;
        fs.add(
            ex.submit(
                () -> {
                  go.await();
                  for (int i = 0; i < perThread; i++) {
                    from.send(b, msg(room, i));
                  }
                  return null;
                }));
      }
      go.countDown();
      for (Future<?> f : fs) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      ex.shutdownNow();
    }
    await().atMost(WAIT).until(() -> b.received.size() == threads * perThread);
    for (int t = 0; t < threads; t++) {
      Peer from = t % 2 == 0 ? a : c;
      assertThat(ids(b.from(from), "t" + t)).as("thread %d", t).containsExactlyElementsOf(range(0, perThread));
    }
    assertThat(b.overlaps.get()).isZero();
  }

  @Test
  void closeIsIdempotentStopsDeliveryAndLaterSendsDoNotThrow() {
    Peer a = peer("a");
    Peer b = peer("b");
    a.send(b, msg("x", 0));
    await().atMost(WAIT).until(() -> b.received.size() == 1);
    b.transport.close();
    b.transport.close();
    assertThatCode(() -> b.send(a, msg("after-close", 0))).doesNotThrowAnyException();
    a.send(b, msg("to-closed", 1));
    // a marker on a live link shows the network has moved on; nothing reached the closed transport
    Peer c = peer("c");
    a.send(c, msg("marker", 0));
    await().atMost(WAIT).until(() -> c.received.size() == 1);
    assertThat(b.received).hasSize(1);
    assertThat(a.received).isEmpty();
    Set<String> rooms = new HashSet<>(Arrays.asList("marker"));
    assertThat(c.received.stream().map(e -> ((SendRequest) e.message()).room()).collect(Collectors.toSet()))
        .isEqualTo(rooms);
  }
}
