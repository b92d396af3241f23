package io.chatmesh.transport.inmemory;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.time.ChatClock;
import io.chatmesh.transport.faults.FaultInjector;
import io.chatmesh.transport.faults.Faults;
import io.chatmesh.transport.faults.LinkFilter;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A simulated network connecting nodes in one JVM; addresses are plain names such as {@code n1}.
 * Envelopes are passed as objects (no serialisation), delivered on one thread per receiving node,
 * in order per link.
 *
 * <pre>{@code
 * InMemoryNetwork net = new InMemoryNetwork();
 * ChatNode n1 = ChatNode.builder().nodeId("n1").transport(net.transport("n1")).build().start();
 * ChatNode n2 = ChatNode.builder().nodeId("n2").transport(net.transport("n2")).seeds("n1").build().start();
 * net.partition(Set.of("n1"), Set.of("n2"));   // later: net.heal();
 * net.crash("n2");                             // abrupt: nothing in flight survives
 * }</pre>
 *
 * <p>What only an in-process network can do stays here: an instantaneous {@link #crash}. Every
 * other fault (drop, duplicate, reorder, delay, partitions, stalls, filters) comes from a {@link
 * FaultInjector} that decorates each transport this network hands out; the shorthand methods
 * ({@link #faults}, {@link #filter}, {@link #partition}, {@link #stall}, {@link #heal}) delegate
 * to it, and {@link #injector()} gives the rest (one-way cuts, pauses, per-link faults). The same
 * injector can decorate any other transport, e.g. gRPC.
 *
 * <p>Thread-safe. Faults are random but reproducible per seed ({@link #InMemoryNetwork(long)});
 * delays run on the given clock. Transports are closed by their nodes; {@link #close()} is kept
 * for symmetry and releases nothing else.
 */
public final class InMemoryNetwork implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(InMemoryNetwork.class);

  private final Map<String, InMemoryTransport> endpoints = new ConcurrentHashMap<>();
  private final Set<String> crashed = ConcurrentHashMap.newKeySet();
  private final FaultInjector injector;
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final LongAdder queued = new LongAdder();

  /** A network with a random seed. */
  public InMemoryNetwork() {
    this(System.nanoTime());
  }

  /**
   * A network whose random faults are reproducible for {@code seed}; delays use the system clock.
   *
   * @param seed the random seed
   */
  public InMemoryNetwork(long seed) {
    this(seed, ChatClock.system());
  }

  /**
   * A network whose random faults are reproducible for {@code seed} and whose delays run on {@code clock}.
   *
   * @param seed the random seed of the faults
   * @param clock the clock delays run on
   */
  public InMemoryNetwork(long seed, ChatClock clock) {
    this.injector = new FaultInjector(seed, clock);
  }

  /**
   * A new transport listening on {@code address}, decorated by this network's {@link
   * #injector()}. If a transport with that address was crashed or closed, the new one replaces it
   * (a restarted node).
   *
   * @param address the node's address, any non-blank text
   * @return a new, unstarted transport, decorated by this network's {@link #injector()}
   * @throws ChatException BAD_REQUEST if the address is null or blank; UNAVAILABLE (on start) if a
   *     live transport already has the address
   */
  public Transport transport(String address) {
    if (address == null || address.isBlank()) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "address must not be null or blank");
    }
    return injector.wrap(address, new InMemoryTransport(this, address));
  }

  /**
   * The fault injector decorating every transport of this network (node names are addresses).
   *
   * @return the injector
   */
  public FaultInjector injector() {
    return injector;
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
    injector.faults(faults);
  }

  /**
   * Installs a filter consulted for every envelope (null removes it).
   *
   * @param filter the filter, or null
   */
  public void filter(@Nullable LinkFilter filter) {
    injector.filter(filter);
  }

  /**
   * Splits the network: envelopes flow only between addresses in the same group. Addresses not
   * named in any group are cut off from everyone.
   *
   * @param groups sets of addresses that still reach each other
   */
  @SafeVarargs
  public final void partition(Set<String>... groups) {
    injector.partition(groups);
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
    injector.stall(from, to);
  }

  /**
   * Delivers what a {@link #stall}ed link held, in order, and makes it writable again.
   *
   * @param from the sending node's address
   * @param to the receiving node's address
   */
  public void unstall(String from, String to) {
    injector.unstall(from, to);
  }

  /** Removes every fault of the {@link #injector()}; crashed nodes stay crashed. */
  public void heal() {
    injector.heal();
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
   * Envelopes delivered so far to a live node's inbound queue (for tests that check traffic).
   *
   * @return the count
   */
  public long deliveredCount() {
    return delivered.get();
  }

  /**
   * Envelopes dropped so far by faults, partitions, filters, crashes or unknown addresses.
   *
   * @return the count
   */
  public long droppedCount() {
    return dropped.get() + injector.droppedCount();
  }

  /**
   * Envelopes handed to a node's inbound queue whose receiver has not finished with them yet. A
   * simulation on a manual clock can wait for zero before moving time on, so no node falls behind
   * the clock only because its thread was not scheduled (which would look like a lost heartbeat).
   *
   * @return the count
   */
  public long inFlightCount() {
    return queued.sum();
  }

  void queued(long delta) {
    queued.add(delta);
  }

  @Override
  public void close() {
    // nothing of its own to release: delays run on the clock, transports are closed by their nodes
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
    if (target == null || crashed.contains(to)) {
      dropped.incrementAndGet();
      return;
    }
    delivered.incrementAndGet();
    target.enqueue(envelope);
  }
}
