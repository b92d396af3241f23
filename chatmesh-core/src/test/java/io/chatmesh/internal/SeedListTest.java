package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chatmesh.NodeId;
import io.chatmesh.membership.SeedResolver;
import io.chatmesh.time.ManualClock;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code dns:NAME:PORT} seeds: the addresses each answer gives, what a failed or empty answer
 * does, this node's own address, IPv6, and one lookup per interval on the node's clock.
 */
class SeedListTest {
  private static final NodeId SELF = NodeId.of("n9");
  private static final String SEED = "dns:chat.test:9091";

  /** Answers from a map a test edits; a name mapped to an exception fails. */
  static final class FakeResolver implements SeedResolver {
    final Map<String, Object> records = new ConcurrentHashMap<>();
    final AtomicInteger calls = new AtomicInteger();

    void set(String name, String... addresses) {
      List<InetAddress> out = new ArrayList<>();
      for (String a : addresses) {
        out.add(ip(a));
      }
      records.put(name, out);
    }

    void fail(String name) {
      records.put(name, new UnknownHostException(name + ": Temporary failure in name resolution"));
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<InetAddress> resolve(String name) throws UnknownHostException {
      calls.incrementAndGet();
      Object r = records.get(name);
      if (r instanceof UnknownHostException e) {
        throw e;
      }
      if (r == null) {
        throw new UnknownHostException(name);
      }
      return (List<InetAddress>) r;
    }

    static InetAddress ip(String literal) {
      try {
        return InetAddress.getByName(literal); // a literal: no lookup
      } catch (UnknownHostException e) {
        throw new AssertionError(e);
      }
    }
  }

  private final FakeResolver dns = new FakeResolver();
  private SeedList seeds = new SeedList(SELF, List.of(), dns);

  @AfterEach
  void close() {
    seeds.close();
  }

  private SeedList seeds(String... given) {
    seeds = new SeedList(SELF, List.of(given), dns, a -> false);
    seeds.listeningAt("10.0.0.9:9091");
    return seeds;
  }

  @Test
  void plainSeedsAreContactsAsGivenAndNeedNoLookup() {
    SeedList s = seeds("127.0.0.1:9092", "n1");
    assertThat(s.hasDns()).isFalse();
    assertThat(s.contacts()).containsExactly("127.0.0.1:9092", "n1");
    assertThat(s.unresolved()).isEmpty();
    assertThat(s.resolve()).isFalse();
    assertThat(dns.calls).hasValue(0);
  }

  @Test
  void aDnsSeedIsUnresolvedUntilItsFirstAnswerThenEveryRecordIsAContact() {
    SeedList s = seeds("10.0.0.5:9091", SEED);
    assertThat(s.hasDns()).isTrue();
    assertThat(s.unresolved()).containsExactly(SEED);
    assertThat(s.contacts()).containsExactly("10.0.0.5:9091");

    dns.set("chat.test", "10.0.0.2", "10.0.0.1", "10.0.0.5");
    assertThat(s.resolve()).isTrue();
    assertThat(s.unresolved()).isEmpty();
    assertThat(s.contacts()).containsExactly("10.0.0.5:9091", "10.0.0.1:9091", "10.0.0.2:9091");
    assertThat(s.resolve()).as("the same answer again changes nothing").isFalse();
  }

  @Test
  void recordsAddedAreContactsAndRecordsRemovedAreNoLongerSeeds() {
    SeedList s = seeds(SEED);
    dns.set("chat.test", "10.0.0.1", "10.0.0.2");
    s.resolve();
    dns.set("chat.test", "10.0.0.2", "10.0.0.3");
    assertThat(s.resolve()).isTrue();
    assertThat(s.contacts()).containsExactly("10.0.0.2:9091", "10.0.0.3:9091");
  }

  @Test
  void aFailedLookupKeepsTheLastAnswerAndAFirstFailureLeavesTheSeedUnresolved() {
    SeedList s = seeds(SEED);
    dns.fail("chat.test");
    assertThat(s.resolve()).isFalse();
    assertThat(s.unresolved()).containsExactly(SEED);

    dns.set("chat.test", "10.0.0.1");
    s.resolve();
    dns.fail("chat.test");
    assertThat(s.resolve()).isFalse();
    assertThat(s.contacts()).containsExactly("10.0.0.1:9091");
    assertThat(s.unresolved()).isEmpty();

    dns.records.put("chat.test", new ArrayList<InetAddress>(List.of(FakeResolver.ip("10.0.0.2"))) {
      @Override
      public java.util.Iterator<InetAddress> iterator() {
        throw new IllegalStateException("a broken resolver");
      }
    });
    assertThat(s.resolve()).as("any exception of the resolver is a failed lookup").isFalse();
    assertThat(s.contacts()).containsExactly("10.0.0.1:9091");
  }

  @Test
  void anEmptyAnswerLeavesTheSeedWithoutAddressesAndUnresolved() {
    SeedList s = seeds(SEED);
    dns.set("chat.test", "10.0.0.1");
    s.resolve();
    dns.set("chat.test");
    assertThat(s.resolve()).isTrue();
    assertThat(s.contacts()).isEmpty();
    assertThat(s.unresolved()).containsExactly(SEED);
  }

  @Test
  void thisNodesOwnAddressIsNeverASeedButAnAnswerOfItAloneIsAnAnswer() {
    SeedList s = seeds(SEED);
    dns.set("chat.test", "10.0.0.9");
    s.resolve();
    assertThat(s.contacts()).isEmpty();
    assertThat(s.unresolved()).as("the first node of a cluster finds itself: answered").isEmpty();

    // a local interface's address with this node's port is this node, whatever it announces
    SeedList local = new SeedList(SELF, List.of(SEED, "dns:other.test:9092"), dns, a -> a.isLoopbackAddress());
    local.listeningAt("chat-0.chat:9091");
    dns.set("chat.test", "127.0.0.1", "10.0.0.2");
    dns.set("other.test", "127.0.0.1");
    local.resolve();
    assertThat(local.contacts()).containsExactly("10.0.0.2:9091", "127.0.0.1:9092");
    local.close();
  }

  @Test
  void ipv6RecordsAreWrittenInBracketsInTheirShortestForm() {
    SeedList s = seeds(SEED);
    dns.set("chat.test", "fd00:0:0:0:0:0:0:3", "2001:db8:0:0:1:0:0:1", "::1", "10.0.0.1");
    s.resolve();
    assertThat(s.contacts()).containsExactlyInAnyOrder(
        "[fd00::3]:9091", "[2001:db8::1:0:0:1]:9091", "[::1]:9091", "10.0.0.1:9091");
    assertThat(SeedList.format(FakeResolver.ip("1:0:2:0:3:0:4:0"), 1)).isEqualTo("[1:0:2:0:3:0:4:0]:1");
    assertThat(SeedList.format(FakeResolver.ip("::"), 7)).isEqualTo("[::]:7");
  }

  @Test
  void resolvesAtStartThenOncePerIntervalOnTheNodesClockAndStopsWhenClosed() {
    ManualClock clock = new ManualClock();
    SeedList s = seeds(SEED);
    dns.set("chat.test", "10.0.0.1");
    AtomicInteger changes = new AtomicInteger();
    s.start(clock, Duration.ofSeconds(10), Runnable::run, changes::incrementAndGet);
    await().atMost(Duration.ofSeconds(10)).until(() -> changes.get() == 1);
    assertThat(dns.calls).hasValue(1);

    dns.fail("chat.test"); // failing rounds: one lookup (and one log line) per interval, no more
    awaitScheduled(clock);
    clock.advance(Duration.ofSeconds(9));
    assertThat(dns.calls).hasValue(1);
    for (int round = 2; round <= 4; round++) {
      int expected = round;
      awaitScheduled(clock);
      clock.advance(Duration.ofSeconds(10));
      await().atMost(Duration.ofSeconds(10)).until(() -> dns.calls.get() == expected);
    }
    assertThat(changes).as("failures change nothing").hasValue(1);

    dns.set("chat.test", "10.0.0.2");
    awaitScheduled(clock);
    clock.advance(Duration.ofSeconds(10));
    await().atMost(Duration.ofSeconds(10)).until(() -> changes.get() == 2);
    assertThat(s.contacts()).containsExactly("10.0.0.2:9091");

    awaitScheduled(clock);
    s.close();
    clock.advance(Duration.ofMinutes(5));
    assertThat(dns.calls).hasValue(5);
  }

  /** Waits until the resolving thread has scheduled its next round on the clock. */
  private static void awaitScheduled(ManualClock clock) {
    await().atMost(Duration.ofSeconds(10)).until(() -> clock.pendingTasks() > 0);
  }
}
