package io.chatmesh.transport.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.ChatException;
import io.chatmesh.NodeId;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.time.ManualClock;
import io.chatmesh.wire.RoomTail;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The decorator over a recording stub transport whose addresses differ from the node names (as
 * over gRPC), on a {@link ManualClock}: seeded determinism, and every kind of fault.
 */
class FaultInjectorTest {
  private final ManualClock clock = new ManualClock();

  /** Records what each node's transport was asked to send, as "to:n". */
  private static final class Stub implements Transport {
    final String address;
    final List<String> sent = new CopyOnWriteArrayList<>();
    volatile boolean writable = true;
    volatile boolean closed;

    Stub(String address) {
      this.address = address;
    }

    @Override
    public String start(Receiver receiver) {
      return address;
    }

    @Override
    public void send(String to, Envelope envelope) {
      sent.add(to + ":" + ((RoomTail) envelope.message()).lastSeq());
    }

    @Override
    public boolean isWritable(String to) {
      return writable;
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  private record Net(FaultInjector faults, Transport a, Stub aStub) {}

  /** Nodes a, b, c at addresses 127.0.0.1:1..3; returns a's wrapped transport. */
  private Net net(long seed) {
    FaultInjector f = new FaultInjector(seed, clock);
    Stub as = new Stub("127.0.0.1:1");
    Transport a = f.wrap("a", as);
    a.start(e -> {});
    f.wrap("b", new Stub("127.0.0.1:2")).start(e -> {});
    f.wrap("c", new Stub("127.0.0.1:3")).start(e -> {});
    return new Net(f, a, as);
  }

  private static Envelope hb(long i) {
    return new Envelope(NodeId.of("a"), 1, new RoomTail("r", 1, i));
  }

  private static void send(Transport t, String to, int from, int until) {
    for (int i = from; i < until; i++) {
      t.send(to, hb(i));
    }
  }

  private static List<String> to(Stub s, String address) {
    return s.sent.stream().filter(x -> x.startsWith(address + ":")).toList();
  }

  private List<String> randomRun(long seed, boolean alsoToC) {
    Net n = net(seed);
    n.faults().faults(Faults.builder().drop(0.2).duplicate(0.2).reorder(0.3, Duration.ofMillis(10)).build());
    for (int i = 0; i < 500; i++) {
      n.a().send("127.0.0.1:2", hb(i));
      if (alsoToC) {
        n.a().send("127.0.0.1:3", hb(i));
      }
    }
    clock.advance(Duration.ofMillis(20));
    assertThat(n.faults().pendingCount()).isZero();
    return to(n.aStub(), "127.0.0.1:2");
  }

  @Test
  void theSameSeedAndTheSameSendsGiveTheSameFateWhateverOtherLinksDo() {
    List<String> first = randomRun(42, false);
    assertThat(randomRun(42, false)).isEqualTo(first);
    assertThat(randomRun(42, true)).as("another link's traffic does not change this link's fates").isEqualTo(first);
    assertThat(randomRun(43, false)).as("another seed, other fates").isNotEqualTo(first);
    // every kind of random fault happened
    assertThat(first.stream().distinct().count()).isBetween(300L, 450L);
    assertThat(first.size()).isGreaterThan((int) first.stream().distinct().count());
    List<Integer> order = first.stream().map(x -> Integer.parseInt(x.substring(x.indexOf(':', 10) + 1))).toList();
    assertThat(order).isNotEqualTo(order.stream().sorted().toList());
  }

  @Test
  void delaysRunOnTheInjectedClock() {
    Net n = net(1);
    n.faults().faults(Faults.builder().delay(Duration.ofMillis(100)).build());
    send(n.a(), "127.0.0.1:2", 0, 5);
    assertThat(n.aStub().sent).isEmpty();
    assertThat(n.faults().pendingCount()).isEqualTo(5);
    clock.advance(Duration.ofMillis(99));
    assertThat(n.aStub().sent).isEmpty();
    clock.advance(Duration.ofMillis(1));
    assertThat(n.aStub().sent).containsExactly("127.0.0.1:2:0", "127.0.0.1:2:1", "127.0.0.1:2:2", "127.0.0.1:2:3", "127.0.0.1:2:4");
  }

  @Test
  void aTwoWayPartitionAndAOneWayCutAreByNodeName() {
    Net n = net(1);
    FaultInjector f = n.faults();
    Stub bs = new Stub("127.0.0.1:2");
    Transport b = f.wrap("b", bs);
    b.start(e -> {});
    f.partition(Set.of("a"), Set.of("b", "c"));
    send(n.a(), "127.0.0.1:2", 0, 3);
    b.send("127.0.0.1:1", hb(0));
    b.send("127.0.0.1:3", hb(0));
    assertThat(n.aStub().sent).isEmpty();
    assertThat(bs.sent).containsExactly("127.0.0.1:3:0");
    f.heal();
    f.cut("b", "a");
    n.a().send("127.0.0.1:2", hb(7));
    b.send("127.0.0.1:1", hb(8));
    assertThat(n.aStub().sent).as("a -> b still works").containsExactly("127.0.0.1:2:7");
    assertThat(bs.sent).as("b -> a is cut").containsExactly("127.0.0.1:3:0");
    f.restore("b", "a");
    b.send("127.0.0.1:1", hb(9));
    assertThat(bs.sent).endsWith("127.0.0.1:1:9");
    assertThat(f.droppedCount()).isEqualTo(5);
  }

  @Test
  void aStalledLinkHoldsInOrderIsNotWritableAndNothingOvertakesItsHeldEnvelopes() {
    Net n = net(1);
    FaultInjector f = n.faults();
    f.stall("a", "b");
    send(n.a(), "127.0.0.1:2", 0, 3);
    send(n.a(), "127.0.0.1:3", 0, 1);
    assertThat(n.a().isWritable("127.0.0.1:2")).isFalse();
    assertThat(n.a().isWritable("127.0.0.1:3")).isTrue();
    assertThat(n.aStub().sent).containsExactly("127.0.0.1:3:0");
    assertThat(f.pendingCount()).isEqualTo(3);
    f.unstall("a", "b");
    send(n.a(), "127.0.0.1:2", 3, 5);
    assertThat(to(n.aStub(), "127.0.0.1:2")).containsExactly("127.0.0.1:2:0", "127.0.0.1:2:1", "127.0.0.1:2:2", "127.0.0.1:2:3", "127.0.0.1:2:4");
    assertThat(n.a().isWritable("127.0.0.1:2")).isTrue();
    n.aStub().writable = false;
    assertThat(n.a().isWritable("127.0.0.1:2")).as("the transport underneath is asked too").isFalse();
  }

  @Test
  void aPausedNodeNeitherSendsNorReceivesUntilItResumes() {
    Net n = net(1);
    FaultInjector f = n.faults();
    Stub bs = new Stub("127.0.0.1:2");
    Transport b = f.wrap("b", bs);
    b.start(e -> {});
    f.pause("a");
    send(n.a(), "127.0.0.1:2", 0, 2);
    b.send("127.0.0.1:1", hb(5));
    b.send("127.0.0.1:3", hb(6));
    assertThat(n.aStub().sent).isEmpty();
    assertThat(bs.sent).containsExactly("127.0.0.1:3:6");
    assertThat(n.a().isWritable("127.0.0.1:3")).isFalse();
    assertThat(b.isWritable("127.0.0.1:1")).isFalse();
    f.resume("a");
    assertThat(n.aStub().sent).containsExactly("127.0.0.1:2:0", "127.0.0.1:2:1");
    assertThat(bs.sent).containsExactly("127.0.0.1:3:6", "127.0.0.1:1:5");
  }

  @Test
  void aFilterSeesNodeNamesAndHealRemovesIt() {
    Net n = net(1);
    List<String> seen = new ArrayList<>();
    n.faults().filter((from, to, env) -> {
      seen.add(from + "->" + to);
      return !to.equals("c");
    });
    n.a().send("127.0.0.1:2", hb(1));
    n.a().send("127.0.0.1:3", hb(2));
    assertThat(seen).containsExactly("a->b", "a->c");
    assertThat(n.aStub().sent).containsExactly("127.0.0.1:2:1");
    n.faults().heal();
    n.a().send("127.0.0.1:3", hb(3));
    assertThat(n.aStub().sent).endsWith("127.0.0.1:3:3");
  }

  @Test
  void aPartitionStartingWhileAnEnvelopeIsDelayedDropsIt() {
    Net n = net(1);
    n.faults().faults(Faults.builder().delay(Duration.ofMillis(10)).build());
    n.a().send("127.0.0.1:2", hb(1));
    n.faults().partition(Set.of("a"), Set.of("b"));
    clock.advance(Duration.ofMillis(10));
    assertThat(n.aStub().sent).isEmpty();
    assertThat(n.faults().droppedCount()).isEqualTo(1);
  }

  @Test
  void closingDropsWhatWasHeldAndClosesTheTransportUnderneath() {
    Net n = net(1);
    n.faults().stall("a", "b");
    send(n.a(), "127.0.0.1:2", 0, 3);
    n.a().close();
    n.faults().unstall("a", "b");
    assertThat(n.aStub().sent).isEmpty();
    assertThat(n.aStub().closed).isTrue();
    assertThat(n.faults().pendingCount()).isZero();
  }

  @Test
  void envelopesToItselfAreNeverFaulted() {
    Net n = net(1);
    n.faults().partition(Set.of("b"), Set.of("c"));
    n.a().send("127.0.0.1:1", hb(1));
    assertThat(n.aStub().sent).containsExactly("127.0.0.1:1:1");
  }

  @Test
  void badArgumentsAreRefused() {
    FaultInjector f = new FaultInjector(1, clock);
    assertThatThrownBy(() -> f.wrap(" ", new Stub("x"))).isInstanceOf(ChatException.class).hasMessageContaining("node name");
    assertThatThrownBy(() -> Faults.builder().drop(1.5).build()).isInstanceOf(ChatException.class).hasMessageContaining("dropRate");
  }
}
