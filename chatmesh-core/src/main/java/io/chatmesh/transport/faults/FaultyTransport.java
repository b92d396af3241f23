package io.chatmesh.transport.faults;

import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.spi.transport.Transport;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One node's transport under a {@link FaultInjector}: decides each envelope's fate on the sending
 * side, then hands it to the transport underneath (now, after a delay on the injector's clock, or
 * once a stall or pause ends). Thread-safe: held envelopes and fate streams are guarded by this
 * object.
 */
final class FaultyTransport implements Transport {
  private final FaultInjector injector;
  private final String node;
  private final Transport inner;
  /** Held envelopes per destination node, in send order; guarded by this. */
  private final Map<String, ArrayDeque<Held>> held = new HashMap<>();
  /** One fate stream per destination node; guarded by this. */
  private final Map<String, SplittableRandom> fates = new HashMap<>();
  private volatile int heldCount;
  private volatile boolean closed;

  FaultyTransport(FaultInjector injector, String node, Transport inner) {
    this.injector = injector;
    this.node = node;
    this.inner = inner;
  }

  @Override
  public String start(Receiver receiver) {
    String address = inner.start(receiver);
    injector.started(address, node, this);
    return address;
  }

  @Override
  public void send(String address, Envelope envelope) {
    FaultInjector.Rules r = injector.rules();
    if (r.none() && heldCount == 0) {
      pass(address, envelope);
      return;
    }
    String to = injector.nodeAt(address);
    if (to.equals(node)) {
      pass(address, envelope);
      return;
    }
    LinkFilter filter = r.filter();
    if (!r.connected(node, to) || filter != null && !filter.allow(node, to, envelope)) {
      injector.countDropped();
      return;
    }
    Faults f = r.faultsFor(node, to);
    if (f == Faults.NONE) {
      forward(to, address, envelope);
      return;
    }
    double drop;
    double duplicate;
    double reorder;
    double extra;
    synchronized (this) {
      SplittableRandom random = fates.computeIfAbsent(to, k -> new SplittableRandom(mix(injector.seed(), node, k)));
      drop = random.nextDouble();
      duplicate = random.nextDouble();
      reorder = random.nextDouble();
      extra = random.nextDouble();
    }
    if (drop < f.dropRate()) {
      injector.countDropped();
      return;
    }
    Duration delay = reorder < f.reorderRate() ? f.delay().plusNanos((long) (extra * f.maxDelay().toNanos())) : f.delay();
    int copies = duplicate < f.duplicateRate() ? 2 : 1;
    for (int i = 0; i < copies; i++) {
      if (delay.isZero()) {
        forward(to, address, envelope);
      } else {
        injector.delayStarted();
        injector.clock().schedule(delay, () -> {
          injector.delayEnded();
          forward(to, address, envelope);
        });
      }
    }
  }

  /** Sends now unless the link is held (or still has held envelopes, which must go first). */
  private void forward(String to, String address, Envelope envelope) {
    if (closed) {
      return;
    }
    FaultInjector.Rules r = injector.rules();
    if (!r.connected(node, to)) {
      injector.countDropped();
      return;
    }
    if (r.held(node, to) || heldCount > 0) {
      synchronized (this) {
        ArrayDeque<Held> q = held.get(to);
        if (injector.rules().held(node, to) || q != null && !q.isEmpty()) {
          held.computeIfAbsent(to, k -> new ArrayDeque<>()).add(new Held(address, envelope));
          heldCount++;
          return;
        }
      }
    }
    pass(address, envelope);
  }

  private void pass(String address, Envelope envelope) {
    injector.countForwarded();
    inner.send(address, envelope);
  }

  /** Sends, in order, what links no longer held have kept (under the lock: nothing overtakes them). */
  synchronized void release() {
    FaultInjector.Rules r = injector.rules();
    for (Iterator<Map.Entry<String, ArrayDeque<Held>>> it = held.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, ArrayDeque<Held>> e = it.next();
      if (r.held(node, e.getKey())) {
        continue;
      }
      for (Held h : e.getValue()) {
        heldCount--;
        if (r.connected(node, e.getKey())) {
          pass(h.address(), h.envelope());
        } else {
          injector.countDropped();
        }
      }
      it.remove();
    }
  }

  int heldCount() {
    return heldCount;
  }

  /** {@code false} while the injector stalls or pauses the link, else what the transport underneath says. */
  @Override
  public boolean isWritable(String address) {
    FaultInjector.Rules r = injector.rules();
    if (!r.none() && r.held(node, injector.nodeAt(address))) {
      return false;
    }
    return inner.isWritable(address);
  }

  @Override
  public void close() {
    closed = true;
    synchronized (this) {
      held.clear();
      heldCount = 0;
    }
    injector.closed(this);
    inner.close();
  }

  @Override
  public String toString() {
    return "Faulty[" + node + ", " + inner + "]";
  }

  /** A seed per directed link, stable across runs (String.hashCode is specified). */
  private static long mix(long seed, String from, String to) {
    long h = seed ^ (0x9E3779B97F4A7C15L * (from.hashCode() * 31L + to.hashCode() + 1));
    h = (h ^ (h >>> 33)) * 0xff51afd7ed558ccdL;
    h = (h ^ (h >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return h ^ (h >>> 33);
  }

  private record Held(String address, Envelope envelope) {}
}
