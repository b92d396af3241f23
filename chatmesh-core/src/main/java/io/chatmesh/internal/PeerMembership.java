package io.chatmesh.internal;

import io.chatmesh.NodeId;
import io.chatmesh.membership.FailureDetector;
import io.chatmesh.membership.FailureDetector.Change;
import io.chatmesh.time.ChatClock;
import io.chatmesh.wire.Goodbye;
import io.chatmesh.wire.Heartbeat;
import io.chatmesh.wire.Hello;
import io.chatmesh.wire.WireMessage;
import java.util.ArrayList;
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
  private final List<String> seeds;
  private final FailureDetector detector;
  private final PauseGuard pauseGuard;
  private final Links links;
  private final Events events;
  /** Known peers' addresses; written on the node lane, read anywhere. */
  private final ConcurrentHashMap<NodeId, String> addresses = new ConcurrentHashMap<>();
  /** Latest incarnation and time heard per peer; written by transport threads, read by the node lane. */
  private final ConcurrentHashMap<NodeId, long[]> heard = new ConcurrentHashMap<>();
  /** The detector's live set as of its last change, for readers off the node lane. */
  private volatile Set<NodeId> aliveView = Set.of();
  private volatile String ownAddress = "";

  PeerMembership(
      NodeSettings settings, SerialExecutor nodeLane, FailureDetector detector, Links links, Events events) {
    this.self = settings.nodeId();
    this.clock = settings.clock();
    this.seeds = settings.seeds();
    this.nodeLane = nodeLane;
    this.detector = detector;
    this.pauseGuard =
        new PauseGuard(Math.max(settings.heartbeatInterval().toMillis() * 3, settings.failureTimeout().toMillis() / 2));
    this.links = links;
    this.events = events;
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

  /** The address {@code node} listens on, or null if not learned yet. Any thread. */
  @Nullable String address(NodeId node) {
    return addresses.get(node);
  }

  /**
   * Records a message from {@code from} (incarnation {@code incarnation}) as a sign of life, on the
   * transport thread that received it; the detector hears of it on the node lane when that can
   * change its verdict. Returns false for a message from an earlier life of that node: drop it.
   */
  boolean accept(NodeId from, long incarnation) {
    if (from.equals(self)) {
      return true;
    }
    long now = clock.millis();
    long[] prev = heard.get(from);
    if (prev != null && prev[0] == incarnation && prev[1] == now) {
      return true;
    }
    if (prev != null && incarnation < prev[0]) {
      return false;
    }
    heard.put(from, new long[] {incarnation, now});
    if (prev == null || prev[0] != incarnation || !aliveView.contains(from)) {
      nodeLane.execute(() -> apply(detector.heard(from, incarnation, clock.millis())));
    }
    return true;
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
    Heartbeat hb = new Heartbeat();
    for (NodeId peer : addresses.keySet()) {
      links.send(peer, hb);
    }
    for (String seed : seeds) {
      if (!addresses.containsValue(seed) && !seed.equals(ownAddress)) {
        links.sendTo(seed, hello(false));
      }
    }
  }

  void onHello(NodeId from, long incarnation, Hello h) {
    nodeLane.assertCurrent();
    // protocol versions are agreed by the transport when a link opens (proto/README.md)
    if (from.equals(self)) {
      return;
    }
    String old = addresses.put(from, h.address());
    if (old == null || !old.equals(h.address())) {
      log.info("node {} learned peer {} at {}", self, from, h.address());
    }
    apply(detector.heard(from, incarnation, clock.millis()));
    if (!h.reply()) {
      links.send(from, hello(true));
    }
    events.greeted(from);
    for (Hello.Peer p : h.peers()) {
      if (!p.node().equals(self) && !addresses.containsKey(p.node())) {
        links.sendTo(p.address(), hello(false));
      }
    }
  }

  void onGoodbye(NodeId from, Goodbye g) {
    nodeLane.assertCurrent();
    log.info("node {} got goodbye from {}: {}", self, from, g.reason());
    heard.remove(from);
    List<Change> changes = detector.down(from);
    publish();
    for (Change c : changes) {
      String why = "node " + c.node() + " said goodbye: " + g.reason();
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

  private Hello hello(boolean reply) {
    List<Hello.Peer> peers = new ArrayList<>();
    for (NodeId p : aliveView) {
      String a = addresses.get(p);
      if (a != null) {
        peers.add(new Hello.Peer(p, a));
      }
    }
    return new Hello(ownAddress, reply, peers);
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
  }
}
