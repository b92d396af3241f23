package io.chatmesh.internal;

import io.chatmesh.spi.transport.PeerText;
import io.chatmesh.NodeId;
import io.chatmesh.membership.FailureDetector;
import io.chatmesh.spi.engine.NodeConfig;
import io.chatmesh.membership.FailureDetector.Change;
import io.chatmesh.time.ChatClock;
import io.chatmesh.wire.Goodbye;
import io.chatmesh.wire.Heartbeat;
import io.chatmesh.wire.Hello;
import io.chatmesh.wire.WireMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peers of this node: their addresses (learned from hellos and gossip), the incarnation and
 * time each was last heard from, heartbeats, hellos and goodbyes. Whether a peer is alive is decided
 * by the {@link FailureDetector} alone; its verdict changes are reported to {@link Events}.
 *
 * <p>Threads: the detector and every method not marked otherwise belong to the node lane (checked
 * with {@link SerialExecutor#assertCurrent()}). {@link #accept} runs on transport threads; {@link
 * #alive}, {@link #isAlive} and {@link #address} may be called from any thread: they read the
 * address map and a copy of the detector's live set that the node lane republishes after each
 * verdict change (a view of the detector, not a second opinion).
 */
final class PeerMembership {
  private static final Logger log = LoggerFactory.getLogger(PeerMembership.class);
  /** How far ahead of this machine's wall clock a peer's incarnation (start time) may be. */
  static final long MAX_INCARNATION_AHEAD_MILLIS = 24 * 3600 * 1000L;
  /** Longest address a hello may give. */
  static final int MAX_ADDRESS_CHARS = 255;
  private final PeerText.Limited refusals = new PeerText.Limited(log, 10_000);

  /** Verdict changes and greetings, called on the node lane. */
  interface Events {
    /** {@code node} is alive (first heard of, heard again, or restarted after {@link #nodeDown}). */
    void nodeUp(NodeId node);

    /** {@code node} is declared dead, for {@code reason}. */
    void nodeDown(NodeId node, String reason);

    /** {@code node} said hello (it may have restarted or lost state): it should get our directory. */
    void greeted(NodeId node);

    /** {@code node} is declared dead because it stopped answering heartbeats (for metrics). */
    default void suspected(NodeId node) {}
  }

  /** How this class sends: to a known node, or to an address whose node is not known yet. */
  interface Links {
    void send(NodeId to, WireMessage message);

    void sendTo(String address, WireMessage message);
  }

  private final NodeId self;
  private final ChatClock clock;
  private final SerialExecutor nodeLane;
  private final SeedList seeds;
  private final FailureDetector detector;
  private final PauseGuard pauseGuard;
  private final Links links;
  private final Events events;
  /** Known peers' addresses; written on the node lane, read anywhere. */
  private final ConcurrentHashMap<NodeId, String> addresses = new ConcurrentHashMap<>();
  /** Latest incarnation and time heard per peer; written by transport threads, read by the node lane. */
  private final ConcurrentHashMap<NodeId, long[]> heard = new ConcurrentHashMap<>();
  /** Peers that said they drain, with the incarnation that said it; written by transport threads. */
  private final ConcurrentHashMap<NodeId, Long> draining = new ConcurrentHashMap<>();
  /** Whether this node drains: said in every heartbeat from then on. */
  private volatile boolean drainingSelf;
  /** The detector's live set as of its last change, for readers off the node lane. */
  private volatile Set<NodeId> aliveView = Set.of();
  private volatile String ownAddress = "";
  /**
   * Addresses greeted (sent a hello) whose node has not said hello here yet, with the time of the
   * greeting: an address is greeted at most once per heartbeat interval however many peer lists
   * name it, so forming a cluster of N nodes costs each node O(N) hellos, not O(N) per list it
   * hears (which made formation O(N^3) messages). Node lane only.
   */
  private final Map<String, Long> greeted = new HashMap<>();
  /** The hello and the hello reply as of the current live set; null when it changed. Node lane only. */
  private @Nullable Hello helloCache;
  private @Nullable Hello replyCache;
  private final long greetEveryMillis;
  private final long forgetGreetingMillis;

  PeerMembership(
      NodeConfig settings, SeedList seeds, SerialExecutor nodeLane, FailureDetector detector, Links links, Events events) {
    this.self = settings.nodeId();
    this.clock = settings.clock();
    this.seeds = seeds;
    this.nodeLane = nodeLane;
    this.detector = detector;
    this.pauseGuard =
        new PauseGuard(Math.max(settings.heartbeatInterval().toMillis() * 3, settings.failureTimeout().toMillis() / 2));
    this.links = links;
    this.events = events;
    this.greetEveryMillis = settings.heartbeatInterval().toMillis();
    this.forgetGreetingMillis = Math.max(greetEveryMillis, settings.failureTimeout().toMillis());
  }

  /** The address this node listens on, once the transport started. Any thread. */
  void listeningAt(String address) {
    this.ownAddress = address;
  }

  /** Live peers (without this node). Any thread. */
  Set<NodeId> alive() {
    return aliveView;
  }

  /** Whether {@code node} is this node or a live peer. Any thread. */
  boolean isAlive(NodeId node) {
    return node.equals(self) || aliveView.contains(node);
  }

  /**
   * Whether {@code node} is a peer that said it drains (in its current incarnation, as far as this
   * node knows): it is about to stop, so no room is moved to it. Any thread.
   */
  boolean isDraining(NodeId node) {
    Long at = draining.get(node);
    if (at == null) {
      return false;
    }
    long[] h = heard.get(node);
    return h == null || h[0] == at; // a later incarnation (a restart) is not draining
  }

  /**
   * A peer's heartbeat said it drains; called on the transport thread after {@link #accept} took
   * the message. Draining lasts for the rest of that incarnation (a heartbeat without the flag that
   * was overtaken does not undo it).
   */
  void heardDraining(NodeId from, long incarnation) {
    Long old = draining.put(from, incarnation);
    if (old == null || old != incarnation) {
      log.info("node {} learned that node {} drains: it is no target for moves", self, from);
    }
  }

  /** This node drains: tells every known peer at once, and in every heartbeat from now on. Node lane. */
  void startDraining() {
    nodeLane.assertCurrent();
    drainingSelf = true;
    Heartbeat hb = new Heartbeat(true);
    for (NodeId peer : addresses.keySet()) {
      links.send(peer, hb);
    }
  }

  /** The address {@code node} listens on, or null if not learned yet. Any thread. */
  @Nullable String address(NodeId node) {
    return addresses.get(node);
  }

  /**
   * Checks a message from {@code from} (incarnation {@code incarnation}) and records it as a sign of
   * life, on the transport thread that received it; the detector hears of it on the node lane when
   * that can change its verdict. Returns false when the message must be dropped: from an earlier
   * life of that node, or refused (logged, once per interval per peer):
   *
   * <ul>
   *   <li>it claims to come from this node (this node never sends itself anything over the network);
   *   <li>its incarnation is not plausible: not positive, or further ahead of this machine's wall
   *       clock than {@link #MAX_INCARNATION_AHEAD_MILLIS} (incarnations are start times in
   *       microseconds);
   *   <li>the node never said hello, or shows a new incarnation in anything but a {@link Hello}
   *       (a restart must greet first: one stray heartbeat cannot declare a restart);
   *   <li>a hello gives a different address for a node that is alive at another one: a second
   *       process with an existing node id, or an impostor diverting its traffic. It is told why
   *       with a goodbye, and the real node stays.
   * </ul>
   */
  boolean accept(NodeId from, long incarnation, WireMessage message) {
    if (from.equals(self)) {
      refuse(from, "self", "a message claiming to come from this node " + self + " itself");
      return false;
    }
    if (!plausible(incarnation)) {
      refuse(from, "incarnation", "a " + message.getClass().getSimpleName() + " with implausible incarnation " + incarnation);
      return false;
    }
    long now = clock.millis();
    long[] prev = heard.get(from);
    if (prev != null && incarnation < prev[0]) {
      return false;
    }
    if (prev != null && prev[0] == incarnation && prev[1] == now && !(message instanceof Hello)) {
      return true;
    }
    if (prev == null && message instanceof Goodbye) {
      return true; // a refusal from a node we greeted (onGoodbye only logs it): not a sign of life
    }
    if (!(message instanceof Hello h)) {
      if (prev == null || incarnation > prev[0]) {
        refuse(from, "nohello",
            "a " + message.getClass().getSimpleName() + " with incarnation " + incarnation + " before a hello from that incarnation"
                + (prev == null ? "" : " (known incarnation " + prev[0] + ")"));
        return false;
      }
    } else if (!checkHello(from, incarnation, h)) {
      return false;
    }
    heard.put(from, new long[] {incarnation, now});
    if (prev == null || prev[0] != incarnation || !aliveView.contains(from)) {
      nodeLane.execute(() -> apply(detector.heard(from, incarnation, clock.millis())));
    }
    return true;
  }

  /** Whether a hello may be believed: a sane address, and no live node of that id elsewhere. */
  private boolean checkHello(NodeId from, long incarnation, Hello h) {
    String a = h.address();
    if (a.isEmpty() || a.length() > MAX_ADDRESS_CHARS || !PeerText.safe(a).equals(a)) {
      refuse(from, "address", "a hello with an unusable address '" + PeerText.safe(a) + "'");
      return false;
    }
    String known = addresses.get(from);
    if (known != null && !known.equals(a) && aliveView.contains(from)) {
      String why =
          "node id " + from + " is in use by a live node at " + known + "; node " + self + " refuses the hello from "
              + a + " (incarnation " + incarnation + "). Give each process its own node id.";
      if (refuse(from, "duplicate", "a hello from " + PeerText.safe(a) + " (incarnation " + incarnation + "): node id " + from
          + " is in use by a live node at " + known)) {
        links.sendTo(a, new Goodbye(why));
      }
      return false;
    }
    return true;
  }

  private static boolean plausible(long incarnation) {
    return incarnation > 0 && incarnation <= (System.currentTimeMillis() + MAX_INCARNATION_AHEAD_MILLIS) * 1000 + (1 << 20);
  }

  /** Logs a refused message (once per interval per peer and kind); returns whether it logged. */
  private boolean refuse(NodeId from, String kind, String what) {
    return refusals.warn(from + "/" + kind, "node " + self + " refuses " + what + " from node " + PeerText.safe(from.value()));
  }

  /** One heartbeat round: judges the peers (unless this node itself was paused), greets the seeds. */
  void tick(long now) {
    nodeLane.assertCurrent();
    for (Map.Entry<NodeId, long[]> h : heard.entrySet()) {
      apply(detector.heard(h.getKey(), h.getValue()[0], h.getValue()[1]));
    }
    long paused = pauseGuard.tick(now);
    if (paused > 0) {
      log.info("node {} was paused for {} ms; not judging peers this round", self, paused);
    } else {
      apply(detector.check(now));
    }
    Heartbeat hb = new Heartbeat(drainingSelf);
    for (NodeId peer : addresses.keySet()) {
      links.send(peer, hb);
    }
    greeted.values().removeIf(at -> now - at >= forgetGreetingMillis);
    greetSeeds();
  }

  /** Greets every seed address no known peer announced (and that is not this node's). */
  void greetSeeds() {
    nodeLane.assertCurrent();
    long now = clock.millis();
    for (String seed : seeds.contacts()) {
      if (!addresses.containsValue(seed) && !seed.equals(ownAddress)) {
        greeted.put(seed, now);
        links.sendTo(seed, hello(false));
      }
    }
  }

  /**
   * Greets the node at {@code address}, named in a peer list, unless it was greeted less than a
   * heartbeat interval ago (its answer may be on its way).
   */
  private void greet(String address, long now) {
    Long at = greeted.get(address);
    if (at == null || now - at >= greetEveryMillis || now < at) {
      greeted.put(address, now);
      links.sendTo(address, hello(false));
    }
  }

  void onHello(NodeId from, long incarnation, Hello h) {
    nodeLane.assertCurrent();
    // protocol versions are agreed by the transport when a link opens (proto/README.md)
    if (from.equals(self)) {
      return;
    }
    String old = addresses.put(from, h.address());
    greeted.remove(h.address());
    if (old == null || !old.equals(h.address())) {
      log.info("node {} learned peer {} at {}", self, from, h.address());
      helloCache = null;
      replyCache = null;
    }
    long now = clock.millis();
    apply(detector.heard(from, incarnation, now));
    if (!h.reply()) {
      links.send(from, hello(true));
    }
    events.greeted(from);
    for (Hello.Peer p : h.peers()) {
      if (!p.node().equals(self) && !addresses.containsKey(p.node()) && !p.address().equals(ownAddress)) {
        greet(p.address(), now);
      }
    }
  }

  void onGoodbye(NodeId from, Goodbye g) {
    nodeLane.assertCurrent();
    String reason = PeerText.safe(g.reason());
    if (!addresses.containsKey(from)) {
      // not a peer of ours: a refusal (e.g. our node id is in use there) or a stranger
      refusals.warn(from + "/goodbye", "node " + self + " got a goodbye from " + PeerText.safe(from.value()) + ", which is not its peer: " + reason);
      return;
    }
    log.info("node {} got goodbye from {}: {}", self, from, reason);
    heard.remove(from);
    List<Change> changes = detector.down(from);
    publish();
    for (Change c : changes) {
      String why = "node " + c.node() + " said goodbye: " + reason;
      log.info("node {} declares {} dead: {}", self, c.node(), why); // a clean leave
      events.nodeDown(c.node(), why);
    }
  }

  /** Tells every live peer that this node leaves. Any thread (the node is closing). */
  void sayGoodbye(String reason) {
    for (NodeId peer : aliveView) {
      links.send(peer, new Goodbye(reason));
    }
  }

  /**
   * This node's hello (or reply), listing its live peers: built once per change of the live set or
   * of a peer's address and shared by every hello sent meanwhile (a hello is immutable), so greeting
   * N peers does not build N lists of N entries. Node lane only.
   */
  private Hello hello(boolean reply) {
    Hello cached = reply ? replyCache : helloCache;
    if (cached != null) {
      return cached;
    }
    List<Hello.Peer> peers = new ArrayList<>();
    for (NodeId p : aliveView) {
      String a = addresses.get(p);
      if (a != null) {
        peers.add(new Hello.Peer(p, a));
      }
    }
    Hello h = new Hello(ownAddress, reply, peers);
    if (reply) {
      replyCache = h;
    } else {
      helloCache = h;
    }
    return h;
  }

  private void apply(List<Change> changes) {
    if (changes.isEmpty()) {
      return;
    }
    publish();
    for (Change c : changes) {
      switch (c.kind()) {
        case UP -> events.nodeUp(c.node());
        case DOWN -> {
          String why = "node " + c.node() + " stopped answering heartbeats";
          log.warn("node {} declares {} dead: {}", self, c.node(), why);
          events.suspected(c.node());
          events.nodeDown(c.node(), why);
        }
        case RESTARTED -> {
          String why = "node " + c.node() + " restarted";
          log.info("node {} declares {} dead: {}", self, c.node(), why);
          events.nodeDown(c.node(), why);
          events.nodeUp(c.node());
        }
      }
    }
  }

  private void publish() {
    aliveView = Set.copyOf(detector.alive());
    helloCache = null;
    replyCache = null;
  }
}
