package io.chatmesh.transport.faults;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.time.ChatClock;
import java.util.HashMap;
import java.util.HashSet;
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
 * Injects network faults into any {@link Transport}: {@link #wrap} decorates each node's transport,
 * and the methods of this class change the conditions every wrapped transport obeys at once.
 * Nodes are named by the name given to {@link #wrap} (e.g. {@code n1}); the injector learns each
 * node's address when its transport starts, so rules work the same over the in-memory network and
 * over gRPC on loopback.
 *
 * <pre>{@code
 * FaultInjector faults = new FaultInjector(42, clock);
 * Transport t1 = faults.wrap("n1", grpcTransportOfN1);   // give t1 to node n1, and so on
 * faults.partition(Set.of("n1"), Set.of("n2", "n3"));   // two-way partition
 * faults.cut("n2", "n1");                               // n2 is no longer heard by n1 (one way)
 * faults.stall("n1", "n3");                             // held in order, n1 sees n3 as not writable
 * faults.pause("n2");                                   // every link from and to n2 is stalled
 * faults.faults(Faults.builder().drop(0.1).duplicate(0.1).reorder(0.2, Duration.ofMillis(5)).build());
 * faults.heal();                                        // a perfect network again
 * }</pre>
 *
 * <p>The faults:
 *
 * <ul>
 *   <li><b>Random</b> ({@link #faults(Faults)}, {@link #faults(String, String, Faults)}): drop,
 *       duplicate, reorder (a random extra delay) and a fixed delay. Each envelope's fate is drawn
 *       from a random stream per directed link, seeded by the injector's seed and the link's
 *       names, so the same seed and the same sequence of sends on a link give the same fates,
 *       whatever other links do meanwhile. Delays run on the injected {@link ChatClock} (a {@code
 *       ManualClock} makes them move only when the test advances it).
 *   <li><b>Partitions</b> ({@link #partition}, two-way) and <b>cuts</b> ({@link #cut}, one-way):
 *       envelopes across them are dropped, checked when sent and again when a delayed or held
 *       envelope would leave.
 *   <li><b>Stalls</b> ({@link #stall}) and <b>pauses</b> ({@link #pause}): envelopes are held, in
 *       order, and the sending transport reports the link not {@linkplain Transport#isWritable
 *       writable}; {@link #unstall}/{@link #resume} let them go in order, with no later envelope
 *       overtaking them. A paused node models a stopped process: nothing leaves or reaches it.
 *   <li><b>Filters</b> ({@link #filter}): a targeted rule per envelope.
 * </ul>
 *
 * <p>Envelopes a node sends to itself are never faulted. A crash is not a fault of this class:
 * the transport underneath models it (e.g. {@code InMemoryNetwork#crash}, or closing a gRPC
 * transport abruptly).
 *
 * <p>Thread-safe: rules are immutable snapshots swapped atomically; wrapped transports may be used
 * from any thread. Errors: {@link ChatException} with {@link ErrorCode#BAD_REQUEST} for an empty
 * node name.
 */
public final class FaultInjector {
  private static final Logger log = LoggerFactory.getLogger(FaultInjector.class);

  private final long seed;
  private final ChatClock clock;
  private final Map<String, String> nodeByAddress = new ConcurrentHashMap<>();
  private final Set<FaultyTransport> transports = ConcurrentHashMap.newKeySet();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder forwarded = new LongAdder();
  private final AtomicLong delayed = new AtomicLong();
  private volatile Rules rules = Rules.NONE;

  /**
   * An injector whose random faults are reproducible for {@code seed} and whose delays run on
   * {@code clock}.
   *
   * @param seed the random seed: the same seed gives each link the same fates
   * @param clock the clock delays run on
   */
  public FaultInjector(long seed, ChatClock clock) {
    this.seed = seed;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * An injector with delays on the system clock.
   *
   * @param seed the random seed: the same seed gives each link the same fates
   */
  public FaultInjector(long seed) {
    this(seed, ChatClock.system());
  }

  /**
   * Decorates {@code transport}, the transport of the node called {@code node}: the result sends
   * through it under this injector's rules and reports a stalled link as not writable. Closing the
   * result closes {@code transport} and drops what was held.
   *
   * @param node the node's name, as the rules name it
   * @param transport the transport to decorate
   * @return the decorated transport
   * @throws ChatException BAD_REQUEST if the node name is blank
   */
  public Transport wrap(String node, Transport transport) {
    if (node == null || node.isBlank()) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "a node name is required to wrap a transport");
    }
    return new FaultyTransport(this, node, Objects.requireNonNull(transport, "transport"));
  }

  /**
   * Applies random faults to every later envelope between two different nodes ({@link Faults#NONE} stops them).
   *
   * @param faults the random faults
   */
  public void faults(Faults faults) {
    Objects.requireNonNull(faults, "faults");
    update(r -> r.withFaults(faults));
  }

  /**
   * Applies random faults to the directed link {@code from -> to} only, instead of the global ones.
   *
   * @param from the sending node
   * @param to the receiving node
   * @param faults the random faults of that link
   */
  public void faults(String from, String to, Faults faults) {
    Objects.requireNonNull(faults, "faults");
    update(r -> r.withLinkFaults(link(from, to), faults));
  }

  /**
   * Installs a filter consulted for every envelope between two different nodes (null removes it).
   *
   * @param filter the filter, or null for none
   */
  public void filter(@Nullable LinkFilter filter) {
    update(r -> r.withFilter(filter));
  }

  /**
   * Splits the network: envelopes flow only between nodes in the same group. Nodes not named in any
   * group are cut off from everyone. Replaces the previous partition.
   *
   * @param groups the node names of each side
   */
  @SafeVarargs
  public final void partition(Set<String>... groups) {
    Set<Set<String>> g = new HashSet<>();
    for (Set<String> s : groups) {
      g.add(Set.copyOf(s));
    }
    Set<Set<String>> frozen = Set.copyOf(g);
    update(r -> r.withPartitions(frozen));
    log.info("network partitioned into {}", frozen);
  }

  /**
   * One-way partition: envelopes from {@code from} no longer reach {@code to} (the other way still works).
   *
   * @param from the sending node
   * @param to the receiving node
   */
  public void cut(String from, String to) {
    update(r -> r.withCut(link(from, to), true));
    log.info("link {} -> {} cut", from, to);
  }

  /**
   * Undoes {@link #cut}.
   *
   * @param from the sending node
   * @param to the receiving node
   */
  public void restore(String from, String to) {
    update(r -> r.withCut(link(from, to), false));
  }

  /**
   * Stalls the link {@code from -> to}, as a slow peer or a full socket would: its envelopes are
   * held in order and {@code from}'s transport reports {@code to} as not writable until {@link
   * #unstall}.
   *
   * @param from the sending node
   * @param to the receiving node
   */
  public void stall(String from, String to) {
    update(r -> r.withStall(link(from, to), true));
  }

  /**
   * Lets what a {@link #stall}ed link held go, in order, and makes it writable again.
   *
   * @param from the sending node
   * @param to the receiving node
   */
  public void unstall(String from, String to) {
    update(r -> r.withStall(link(from, to), false));
    releaseAll();
  }

  /**
   * Pauses a node's links, as a stopped process (SIGSTOP) looks to its peers: every envelope from
   * and to it is held until {@link #resume}, so the others declare it dead while it keeps its
   * beliefs; then everything it sent and was sent arrives at once.
   *
   * @param node the node's name
   */
  public void pause(String node) {
    update(r -> r.withPaused(node, true));
    log.info("node {} paused", node);
  }

  /**
   * Undoes {@link #pause}: held envelopes go, in order per link.
   *
   * @param node the node's name
   */
  public void resume(String node) {
    update(r -> r.withPaused(node, false));
    releaseAll();
    log.info("node {} resumed", node);
  }

  /** Removes every fault: partitions, cuts, random faults, filters, stalls and pauses (held envelopes go). */
  public void heal() {
    rules = Rules.NONE;
    releaseAll();
    log.info("network healed");
  }

  /**
   * Envelopes dropped so far (random loss, partitions, cuts, filters).
   *
   * @return the count
   */
  public long droppedCount() {
    return dropped.sum();
  }

  /**
   * Envelopes handed to the transports underneath so far (a duplicate counts twice).
   *
   * @return the count
   */
  public long forwardedCount() {
    return forwarded.sum();
  }

  /**
   * Envelopes waiting now: delayed on the clock or held by a stall or pause.
   *
   * @return the count
   */
  public long pendingCount() {
    long held = 0;
    for (FaultyTransport t : transports) {
      held += t.heldCount();
    }
    return delayed.get() + held;
  }

  @Override
  public String toString() {
    return "FaultInjector[seed=" + seed + ", " + rules + "]";
  }

  // ------------------------------------------------------------------ used by FaultyTransport

  Rules rules() {
    return rules;
  }

  long seed() {
    return seed;
  }

  ChatClock clock() {
    return clock;
  }

  /** The node name behind {@code address} (the address itself for a node never wrapped here). */
  String nodeAt(String address) {
    return nodeByAddress.getOrDefault(address, address);
  }

  void started(String address, String node, FaultyTransport t) {
    nodeByAddress.put(address, node);
    transports.add(t);
  }

  void closed(FaultyTransport t) {
    transports.remove(t);
  }

  void countDropped() {
    dropped.increment();
  }

  void countForwarded() {
    forwarded.increment(); // on every send: an adder, not a contended atomic
  }

  void delayStarted() {
    delayed.incrementAndGet();
  }

  void delayEnded() {
    delayed.decrementAndGet();
  }

  static String link(String from, String to) {
    return from + "->" + to;
  }

  private synchronized void update(java.util.function.UnaryOperator<Rules> change) {
    Rules next = change.apply(rules);
    rules = next.equals(Rules.NONE) ? Rules.NONE : next;
  }

  private void releaseAll() {
    for (FaultyTransport t : transports) {
      t.release();
    }
  }

  /** An immutable snapshot of every rule. */
  record Rules(
      Faults faults,
      Map<String, Faults> linkFaults,
      @Nullable LinkFilter filter,
      Set<Set<String>> partitions,
      Set<String> cuts,
      Set<String> stalls,
      Set<String> paused) {
    static final Rules NONE = new Rules(Faults.NONE, Map.of(), null, Set.of(), Set.of(), Set.of(), Set.of());

    boolean none() {
      return this == NONE;
    }

    /** Whether {@code from} may reach {@code to} now (partitions and cuts only). */
    boolean connected(String from, String to) {
      if (cuts.contains(link(from, to))) {
        return false;
      }
      if (partitions.isEmpty()) {
        return true;
      }
      for (Set<String> g : partitions) {
        if (g.contains(from) && g.contains(to)) {
          return true;
        }
      }
      return false;
    }

    /** Whether envelopes on {@code from -> to} must be held now. */
    boolean held(String from, String to) {
      return !stalls.isEmpty() && stalls.contains(link(from, to)) || !paused.isEmpty() && (paused.contains(from) || paused.contains(to));
    }

    Faults faultsFor(String from, String to) {
      return linkFaults.isEmpty() ? faults : linkFaults.getOrDefault(link(from, to), faults);
    }

    Rules withFaults(Faults f) {
      return new Rules(f, linkFaults, filter, partitions, cuts, stalls, paused);
    }

    Rules withLinkFaults(String link, Faults f) {
      Map<String, Faults> m = new HashMap<>(linkFaults);
      m.put(link, f);
      return new Rules(faults, Map.copyOf(m), filter, partitions, cuts, stalls, paused);
    }

    Rules withFilter(@Nullable LinkFilter f) {
      return new Rules(faults, linkFaults, f, partitions, cuts, stalls, paused);
    }

    Rules withPartitions(Set<Set<String>> p) {
      return new Rules(faults, linkFaults, filter, p, cuts, stalls, paused);
    }

    Rules withCut(String link, boolean on) {
      return new Rules(faults, linkFaults, filter, partitions, toggle(cuts, link, on), stalls, paused);
    }

    Rules withStall(String link, boolean on) {
      return new Rules(faults, linkFaults, filter, partitions, cuts, toggle(stalls, link, on), paused);
    }

    Rules withPaused(String node, boolean on) {
      return new Rules(faults, linkFaults, filter, partitions, cuts, stalls, toggle(paused, node, on));
    }

    private static Set<String> toggle(Set<String> s, String key, boolean on) {
      Set<String> out = new HashSet<>(s);
      if (on) {
        out.add(key);
      } else {
        out.remove(key);
      }
      return Set.copyOf(out);
    }

    @Override
    public String toString() {
      return "faults=" + faults + ", linkFaults=" + linkFaults.keySet() + ", filter=" + (filter != null) + ", partitions=" + partitions
          + ", cuts=" + cuts + ", stalls=" + stalls + ", paused=" + paused;
    }
  }
}
