package io.chatmesh.internal;

import io.chatmesh.NodeId;
import io.chatmesh.membership.SeedResolver;
import io.chatmesh.membership.SeedResolver.DnsSeed;
import io.chatmesh.time.ChatClock;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The addresses a node greets as seeds: the plain ones given to the builder, and for each {@code
 * dns:NAME:PORT} seed the addresses NAME resolved to at its last answer (each with PORT).
 *
 * <ul>
 *   <li>A DNS seed is resolved when the node starts and then once per interval, on a thread of
 *       this class (the resolver may block), never on a lane. Addresses that appear are greeted
 *       (the node is told through the {@code changed} callback); addresses that vanish are no
 *       longer seeds, but peers already met stay peers (membership is not touched here).
 *   <li>A failed lookup keeps the last answer and is logged once per round (one line per seed
 *       per interval, never more); an empty answer leaves the seed without addresses.
 *   <li>A DNS seed with no addresses (not answered yet, or answered empty) is {@link #unresolved()}:
 *       readiness counts it as one seed not met, as it counts an unreachable plain seed.
 *   <li>This node's own address is never a seed: the answer may list it (a headless Service lists
 *       every pod); an address equal to this node's, or a local interface's address with this
 *       node's port, is left out. A name that resolves to this node alone is answered, not
 *       unresolved: the first node of a cluster is ready.
 * </ul>
 *
 * <p>IPv6 addresses are written {@code [fd00::1]:9091} (RFC 5952 compressed form), IPv4 ones
 * {@code 10.0.0.1:9091}, so they match what a gRPC transport announces for the same address.
 *
 * <p>Threads: {@link #contacts()}, {@link #unresolved()} and {@link #listeningAt} may be called
 * from any thread; {@link #resolve()} runs on this class's thread (tests call it directly).
 */
final class SeedList {
  private static final Logger log = LoggerFactory.getLogger(SeedList.class);
  /** One answer: the addresses other than this node's, and whether the answer had any address. */
  private record Answer(List<String> others, boolean any) {}

  private final NodeId self;
  private final List<String> plain;
  private final List<DnsSeed> dns;
  private final SeedResolver resolver;
  private final Predicate<InetAddress> isLocal;
  /** The last answer per DNS seed spec; absent until the first answer. Replaced whole, read anywhere. */
  private volatile Map<String, Answer> answers = Map.of();
  private volatile String ownAddress = "";
  private volatile boolean closed;
  private volatile ChatClock.Cancellable next = () -> {};
  private @Nullable ExecutorService thread;

  SeedList(NodeId self, List<String> seeds, SeedResolver resolver) {
    this(self, seeds, resolver, SeedList::isLocalAddress);
  }

  /** With {@code isLocal} deciding whether an address is one of this machine's. */
  SeedList(NodeId self, List<String> seeds, SeedResolver resolver, Predicate<InetAddress> isLocal) {
    this.self = self;
    this.resolver = resolver;
    this.isLocal = isLocal;
    List<String> p = new ArrayList<>();
    List<DnsSeed> d = new ArrayList<>();
    for (String s : seeds) {
      SeedResolver.DnsSeed.parse(s).ifPresentOrElse(d::add, () -> p.add(s));
    }
    this.plain = List.copyOf(p);
    this.dns = List.copyOf(d);
  }

  /** Whether any seed is a DNS seed (only then is there anything to resolve). */
  boolean hasDns() {
    return !dns.isEmpty();
  }

  /** The address this node listens on: never a seed. Any thread. */
  void listeningAt(String address) {
    ownAddress = address;
  }

  /** The addresses to greet: plain seeds, then every DNS seed's last answer, without repeats. Any thread. */
  List<String> contacts() {
    if (dns.isEmpty()) {
      return plain;
    }
    Set<String> out = new LinkedHashSet<>(plain);
    Map<String, Answer> now = answers;
    for (DnsSeed d : dns) {
      Answer a = now.get(d.seed());
      if (a != null) {
        out.addAll(a.others());
      }
    }
    return List.copyOf(out);
  }

  /** The DNS seeds without any address now (not answered yet, or answered empty). Any thread. */
  List<String> unresolved() {
    List<String> out = new ArrayList<>();
    Map<String, Answer> now = answers;
    for (DnsSeed d : dns) {
      Answer a = now.get(d.seed());
      if (a == null || !a.any()) {
        out.add(d.seed());
      }
    }
    return out;
  }

  /**
   * Resolves every DNS seed once, on the calling thread; a failure keeps that seed's last answer
   * and is logged (one line per seed per call). Returns whether any seed's answer changed.
   */
  boolean resolve() {
    Map<String, Answer> before = answers;
    Map<String, Answer> after = new LinkedHashMap<>(before);
    boolean changed = false;
    for (DnsSeed d : dns) {
      Answer old = before.get(d.seed());
      Answer now;
      try {
        now = answer(d, resolver.resolve(d.name()));
      } catch (Exception e) { // a resolver's failure never stops the node: keep the last answer
        log.warn("node {} could not resolve seed {}: {}; it keeps {} and tries again in the next round",
            self, d.seed(), e.toString(), old == null ? "no address" : old.others());
        continue;
      }
      if (!now.any()) {
        log.warn("node {}: seed {} resolves to no address; it tries again in the next round", self, d.seed());
      }
      if (!now.equals(old)) {
        changed = true;
        after.put(d.seed(), now);
        if (now.any()) {
          log.info("node {}: seed {} resolves to {}{}", self, d.seed(), now.others(),
              old == null ? "" : " (was " + old.others() + ")");
        }
      }
    }
    if (changed) {
      answers = Map.copyOf(after);
    }
    return changed;
  }

  private Answer answer(DnsSeed d, @Nullable List<InetAddress> found) {
    if (found == null) {
      throw new IllegalStateException("the resolver returned null for " + d.name());
    }
    Set<String> others = new TreeSet<>();
    int own = port(ownAddress);
    boolean any = false;
    for (InetAddress a : found) {
      if (a == null) {
        continue;
      }
      any = true;
      String address = format(a, d.port());
      if (!address.equals(ownAddress) && !(d.port() == own && isLocal.test(a))) {
        others.add(address);
      }
    }
    return new Answer(List.copyOf(others), any);
  }

  /**
   * Starts resolving, if there is a DNS seed: now, then {@code interval} after each round ends,
   * timed by {@code clock}. After a round that changed an answer, {@code changed} runs on {@code
   * nodeLane}.
   */
  void start(ChatClock clock, Duration interval, Executor nodeLane, Runnable changed) {
    if (dns.isEmpty()) {
      return;
    }
    ExecutorService t = Executors.newSingleThreadExecutor(r -> {
      Thread th = new Thread(r, "chatmesh-" + self + "-seeds");
      th.setDaemon(true);
      return th;
    });
    thread = t;
    Runnable round = new Runnable() {
      @Override
      public void run() {
        if (closed) {
          return;
        }
        if (resolve()) {
          try {
            nodeLane.execute(changed);
          } catch (RejectedExecutionException e) {
            return; // the node closed meanwhile
          }
        }
        if (!closed) {
          Runnable again = this;
          next = clock.schedule(interval, () -> submit(t, again));
        }
      }
    };
    submit(t, round);
  }

  private void submit(ExecutorService t, Runnable round) {
    try {
      t.execute(round);
    } catch (RejectedExecutionException e) {
      // closed
    }
  }

  /** Stops resolving. Idempotent; any thread. */
  void close() {
    closed = true;
    next.cancel();
    ExecutorService t = thread;
    if (t != null) {
      t.shutdownNow();
    }
  }

  /** {@code 10.0.0.1:9091}, {@code [fd00::1]:9091} (RFC 5952 form, with its scope if any). */
  static String format(InetAddress a, int port) {
    if (!(a instanceof Inet6Address v6)) {
      return a.getHostAddress() + ":" + port;
    }
    byte[] b = v6.getAddress();
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLength = 1; // a single zero group is not shortened
    for (int i = 0; i < 8; ) {
      if (groups[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j;
    }
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        out.append("::");
        i += bestLength - 1;
        continue;
      }
      if (out.length() > 1 && out.charAt(out.length() - 1) != ':') {
        out.append(':');
      }
      out.append(Integer.toHexString(groups[i]));
    }
    String host = v6.getHostAddress();
    int scope = host.indexOf('%');
    if (scope >= 0) {
      out.append(host.substring(scope));
    }
    return out.append("]:").append(port).toString();
  }

  /** The port of {@code host:port}, or -1. */
  private static int port(String address) {
    int colon = address.lastIndexOf(':');
    if (colon < 0) {
      return -1;
    }
    try {
      return Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static boolean isLocalAddress(InetAddress a) {
    if (a.isLoopbackAddress() || a.isAnyLocalAddress()) {
      return true;
    }
    try {
      return NetworkInterface.getByInetAddress(a) != null;
    } catch (SocketException e) {
      return false;
    }
  }
}
