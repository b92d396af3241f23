package io.chatmesh.transport.inmemory;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.spi.transport.Transport;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A simulated network connecting nodes in one JVM; addresses are plain names such as {@code n1}.
 * Envelopes are passed as objects (no serialisation), delivered on one thread per receiving node,
 * in order per link unless {@link Faults} say otherwise.
 *
 * <pre>{@code
 * InMemoryNetwork net = new InMemoryNetwork();
 * ChatNode n1 = ChatNode.builder().nodeId("n1").transport(net.transport("n1")).build().start();
 * ChatNode n2 = ChatNode.builder().nodeId("n2").transport(net.transport("n2")).seeds("n1").build().start();
 * net.partition(Set.of("n1"), Set.of("n2"));   // later: net.heal();
 * }</pre>
 *
 * <p>Thread-safe. Faults are random but reproducible per seed ({@link #InMemoryNetwork(long)}).
 * {@link #close()} stops the delay timer; transports are closed by their nodes.
 */
public final class InMemoryNetwork implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(InMemoryNetwork.class);

  private final Map<String, InMemoryTransport> endpoints = new ConcurrentHashMap<>();
  private final Set<String> crashed = ConcurrentHashMap.newKeySet();
  /** Stalled links ("from->to") and what they hold; guarded by itself. */
  private final Map<String, ArrayDeque<Runnable>> stalled = new HashMap<>();
  private volatile boolean anyStalled;
  private final Random random;
  private final ScheduledExecutorService delayer;
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private volatile Faults faults = Faults.NONE;
  private volatile @Nullable LinkFilter filter;
  private volatile Set<Set<String>> partitions = Set.of();

  /** A network with a random seed. */
  public InMemoryNetwork() {
    this(System.nanoTime());
  }

  /**
   * A network whose random faults are reproducible for {@code seed}.
   *
   * @param seed the random seed
   */
  public InMemoryNetwork(long seed) {
    this.random = new Random(seed);
    this.delayer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "inmemory-network-delay");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * A new transport listening on {@code address}. If a transport with that address was crashed or
   * closed, the new one replaces it (a restarted node).
   *
   * @throws ChatException BAD_REQUEST if the address is null or blank, or a live transport already
   *     has it
   * @param address the node's address, any non-blank text
   * @return a new, unstarted transport
   */
  public Transport transport(String address) {
    if (address == null || address.isBlank()) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "address must not be null or blank");
    }
    return new InMemoryTransport(this, address);
  }

  /**
   * Applies random faults to every later envelope between two different nodes.
   *
   * @throws ChatException BAD_REQUEST if {@code faults} is null (use {@link Faults#NONE})
   * @param faults the faults
   */
  public void faults(Faults faults) {
    if (faults == null) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "faults must not be null (use Faults.NONE)");
    }
    this.faults = faults;
  }

  /**
   * Installs a filter consulted for every envelope (null removes it).
   *
   * @param filter the filter, or null
   */
  public void filter(@Nullable LinkFilter filter) {
    this.filter = filter;
  }

  /**
   * Splits the network: envelopes flow only between addresses in the same group. Addresses not
   * named in any group are cut off from everyone.
   *
   * @param groups sets of addresses that still reach each other
   */
  @SafeVarargs
  public final void partition(Set<String>... groups) {
    Set<Set<String>> g = new HashSet<>();
    for (Set<String> s : groups) {
      g.add(Set.copyOf(s));
    }
    partitions = Set.copyOf(g);
    log.info("network partitioned into {}", partitions);
  }

  /**
   * Stalls the link from {@code from} to {@code to}, as a slow peer or a full socket would: its
   * envelopes are held, in order, and {@code from}'s transport reports {@code to} as not writable
   * ({@link Transport#isWritable}) until {@link #unstall}. Used to test flow control.
   *
   * @param from the sending node's address
   * @param to the receiving node's address
   */
  public void stall(String from, String to) {
    synchronized (stalled) {
      stalled.putIfAbsent(from + "->" + to, new ArrayDeque<>());
      anyStalled = true;
    }
  }

  /**
   * Delivers what a {@link #stall}ed link held, in order, and makes it writable again.
   *
   * @param from the sending node's address
   * @param to the receiving node's address
   */
  public void unstall(String from, String to) {
    synchronized (stalled) {
      ArrayDeque<Runnable> q = stalled.remove(from + "->" + to);
      anyStalled = !stalled.isEmpty();
      if (q != null) {
        q.forEach(Runnable::run); // under the lock, so nothing sent meanwhile overtakes them
      }
    }
  }

  boolean writable(String from, String to) {
    if (!anyStalled) {
      return true;
    }
    synchronized (stalled) {
      return !stalled.containsKey(from + "->" + to);
    }
  }

  /** Removes partitions and random faults; crashed nodes stay crashed. */
  public void heal() {
    partitions = Set.of();
    faults = Faults.NONE;
    filter = null;
    log.info("network healed");
  }

  /**
   * Crashes the node at {@code address} abruptly: nothing reaches it and nothing it sends leaves,
   * as if its process died (no goodbye is sent). A new {@link #transport(String)} on the same
   * address later models a restart.
   *
   * @param address the node's address
   */
  public void crash(String address) {
    crashed.add(address);
    InMemoryTransport t = endpoints.get(address);
    if (t != null) {
      t.crash();
    }
    log.info("node at {} crashed", address);
  }

  /**
   * Addresses with a live transport.
   *
   * @return a snapshot of the addresses
   */
  public Collection<String> addresses() {
    return Set.copyOf(endpoints.keySet());
  }

  /**
   * Envelopes delivered so far (for tests that check traffic).
   *
   * @return the count
   */
  public long deliveredCount() {
    return delivered.get();
  }

  /**
   * Envelopes dropped so far by faults, partitions, filters or unknown addresses.
   *
   * @return the count
   */
  public long droppedCount() {
    return dropped.get();
  }

  @Override
  public void close() {
    delayer.shutdownNow();
  }

  void register(InMemoryTransport t) {
    InMemoryTransport prev = endpoints.putIfAbsent(t.address(), t);
    if (prev != null && prev != t) {
      if (!prev.isLive()) {
        endpoints.put(t.address(), t);
      } else {
        throw new ChatException(ErrorCode.UNAVAILABLE, "address " + t.address() + " is already in use");
      }
    }
    crashed.remove(t.address());
  }

  void unregister(InMemoryTransport t) {
    endpoints.remove(t.address(), t);
  }

  void route(InMemoryTransport from, String to, Envelope envelope) {
    if (crashed.contains(from.address()) || !from.isLive()) {
      dropped.incrementAndGet();
      return;
    }
    InMemoryTransport target = endpoints.get(to);
    if (target == null || crashed.contains(to) || !connected(from.address(), to)) {
      dropped.incrementAndGet();
      return;
    }
    LinkFilter f = filter;
    if (f != null && !f.allow(from.address(), to, envelope)) {
      dropped.incrementAndGet();
      return;
    }
    if (anyStalled) {
      synchronized (stalled) {
        ArrayDeque<Runnable> q = stalled.get(from.address() + "->" + to);
        if (q != null) {
          q.add(() -> deliver(target, envelope, Duration.ZERO));
          return;
        }
      }
    }
    Faults fx = faults;
    if (from.address().equals(to) || fx == Faults.NONE) {
      deliver(target, envelope, fx.delay());
      return;
    }
    double drop;
    double dup;
    double reorder;
    long extra;
    synchronized (random) {
      drop = random.nextDouble();
      dup = random.nextDouble();
      reorder = random.nextDouble();
      extra = fx.maxDelay().toNanos() <= 0 ? 0 : (long) (random.nextDouble() * fx.maxDelay().toNanos());
    }
    if (drop < fx.dropRate()) {
      dropped.incrementAndGet();
      return;
    }
    Duration d = reorder < fx.reorderRate() ? fx.delay().plusNanos(extra) : fx.delay();
    deliver(target, envelope, d);
    if (dup < fx.duplicateRate()) {
      deliver(target, envelope, d);
    }
  }

  private boolean connected(String a, String b) {
    Set<Set<String>> p = partitions;
    if (p.isEmpty() || a.equals(b)) {
      return true;
    }
    for (Set<String> g : p) {
      if (g.contains(a) && g.contains(b)) {
        return true;
      }
    }
    return false;
  }

  private void deliver(InMemoryTransport target, Envelope envelope, Duration delay) {
    delivered.incrementAndGet();
    if (delay.isZero()) {
      target.enqueue(envelope);
    } else {
      try {
        delayer.schedule(() -> target.enqueue(envelope), delay.toNanos(), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        dropped.incrementAndGet();
      }
    }
  }
}
