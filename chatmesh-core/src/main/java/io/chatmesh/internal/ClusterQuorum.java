package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this node may create rooms: readiness and the majority a creation needs, so that a node
 * that restarted without state, or a partitioned minority, cannot reserve a name that the rest of
 * the cluster already holds.
 *
 * <ul>
 *   <li>The <em>known cluster</em>: this node, every node it has met (said hello or became alive)
 *       and not seen leave with a goodbye, and every seed address not yet matched to a met node.
 *   <li><em>Ready</em> once it has met (had a hello from) all its seeds, or a live majority of the
 *       known cluster (so one seed that is gone for good does not block it); a node without seeds
 *       is ready at start (a one-node cluster works). Readiness is a latch: once ready, it stays ready; the
 *       majority check below guards each creation.
 *   <li>A creation needs a <em>majority</em>: the nodes asked (this one and its live peers, each of
 *       which must vote READY) must be more than half of the known cluster.
 *   <li>A node <em>remembers the names</em> of the cluster once it has heard a full directory
 *       announcement from every node it knows since it started: only then may it create a room or
 *       vote READY for a name (the {@link NameRegistry} asks {@link #forgottenDirectories}). A
 *       restarted node has forgotten the rooms of the nodes it has not heard since, so a majority
 *       of restarted nodes could otherwise reserve a name whose only witness, its admin, is down
 *       (violation V9 of the nemesis). Readiness by meeting the seeds waits for their
 *       announcements too.
 * </ul>
 *
 * <p>The seeds are those of the {@link SeedList} now: a {@code dns:} seed's addresses change with
 * its answers, and a {@code dns:} seed without any address counts as one seed not met. Seeds are
 * compared with the addresses nodes announce in their hello; a seed written
 * differently (a host name for an IP) counts as one more known node until a node with exactly that
 * address is met, which only makes the majority larger (safer), never smaller.
 *
 * <p>Threads: {@link #met}, {@link #left}, {@link #requireCreatable} belong to the node lane;
 * {@link #listeningAt} is called by start before the lane runs anything of this class; {@link
 * #isReady} and {@link #ready} may be called from any thread.
 */
final class ClusterQuorum {
  private static final Logger log = LoggerFactory.getLogger(ClusterQuorum.class);

  private final NodeId self;
  private final SeedList seeds;
  private final PeerMembership peers;
  private final Predicate<NodeId> heardDirectory;
  private final Set<NodeId> met = new TreeSet<>();
  private final CompletableFuture<Void> readyFuture = new CompletableFuture<>();
  private volatile boolean ready;
  private volatile String ownAddress = "";

  /** {@code heardDirectory} tells (on the node lane) whether a node's full directory announcement was received. */
  ClusterQuorum(NodeId self, SeedList seeds, PeerMembership peers, Predicate<NodeId> heardDirectory) {
    this.self = self;
    this.seeds = seeds;
    this.peers = peers;
    this.heardDirectory = heardDirectory;
  }

  /** The transport listens at {@code address}; a node without (other) seeds is ready now. */
  void listeningAt(String address) {
    ownAddress = address;
    if (otherSeeds().isEmpty() && !ready) {
      ready = true; // before anyone can depend on it: complete on this thread
      readyFuture.complete(null);
      log.info("node {} is ready to create rooms: it has no seeds", self);
    }
  }

  /** Whether this node is ready (see the class documentation). Any thread. */
  boolean isReady() {
    return ready;
  }

  /** Completes (on a pool thread, not the node lane) when this node becomes ready. Any thread. */
  CompletableFuture<Void> ready() {
    return readyFuture.copy();
  }

  /** The node closed: a caller still waiting for readiness is told. Any thread. */
  void closed() {
    readyFuture.completeExceptionally(
        new ChatException(ErrorCode.UNAVAILABLE, "node " + self + " was closed before it was ready"));
  }

  /** {@code node} said hello: this node knows its address and it knows this node's. */
  void met(NodeId node) {
    if (!node.equals(self)) {
      met.add(node);
      check();
    }
  }

  /** A peer's liveness or the seeds changed: readiness may be reached. */
  void check() {
    if (ready) {
      return;
    }
    if (unmetSeeds().isEmpty() && forgottenDirectories().isEmpty()) {
      becomeReady("it met its seeds and heard their directories");
      return;
    }
    int reached = 1 + greetedAlive();
    if (reached * 2 > knownSize()) {
      becomeReady("it reaches " + reached + " of the " + knownSize() + " nodes it knows");
    }
  }

  /** {@code node} said goodbye: it left the cluster and no longer counts for the majority. */
  void left(NodeId node) {
    met.remove(node);
  }

  /**
   * Checks that a room may be created with {@code participants} (this node and the live peers that
   * will be asked to vote).
   *
   * @throws ChatException UNAVAILABLE if this node is not ready or the participants are no majority
   */
  void requireCreatable(Set<NodeId> participants) {
    if (!ready) {
      List<String> unmet = unmetSeeds();
      throw new ChatException(
          ErrorCode.UNAVAILABLE,
          "node " + self + " has not yet met its seeds (" + unmet.size() + " of " + otherSeeds().size()
              + " not met: " + String.join(", ", unmet) + ") nor a majority of the " + knownSize()
              + " nodes it knows, so it cannot create rooms yet; retry once it has joined the cluster");
    }
    int known = knownSize();
    if (participants.size() * 2 <= known) {
      throw new ChatException(
          ErrorCode.UNAVAILABLE,
          "node " + self + " reaches " + participants.size() + " of the " + known + " nodes it knows ("
              + String.join(", ", knownNames()) + "); creating a room needs READY votes from a majority ("
              + (known / 2 + 1) + "); retry when more of the cluster is reachable");
    }
    List<String> forgotten = forgottenDirectories();
    if (!forgotten.isEmpty()) {
      throw new ChatException(ErrorCode.UNAVAILABLE, notHeard(forgotten) + ", so it cannot create rooms yet");
    }
  }

  /**
   * The nodes this node knows (met, alive, or seeds not yet met) whose full directory announcement
   * it has not received since it started: a room of theirs may exist that this node does not know.
   * Empty when this node knows every room name of the cluster. Node lane.
   */
  List<String> forgottenDirectories() {
    List<String> out = new ArrayList<>();
    for (NodeId n : knownNodes()) {
      if (!heardDirectory.test(n)) {
        out.add(n.value());
      }
    }
    out.addAll(unmetSeeds());
    return out;
  }

  /**
   * Whether the only directories this node misses are those of live peers (met, alive, their
   * announcement on its way after a hello): a creation or a vote is then worth waiting for a moment
   * rather than refused. Node lane.
   */
  boolean awaitsLiveDirectories() {
    if (!unmetSeeds().isEmpty()) {
      return false;
    }
    boolean missing = false;
    for (NodeId n : knownNodes()) {
      if (!heardDirectory.test(n)) {
        if (!peers.isAlive(n)) {
          return false;
        }
        missing = true;
      }
    }
    return missing;
  }

  /** Why this node cannot vouch for a name while {@code forgotten} (non-empty) were not heard. */
  String notHeard(List<String> forgotten) {
    return "node " + self + " has not heard the room directory of " + String.join(", ", forgotten)
        + " since it started (a room name may be taken there); retry once those nodes are reachable"
        + " or have left the cluster";
  }

  private void becomeReady(String why) {
    if (ready) {
      return;
    }
    ready = true;
    log.info("node {} is ready to create rooms: {}", self, why);
    readyFuture.completeAsync(() -> null); // dependants must not run on the node lane
  }

  /** Live peers that said hello (alive by heartbeats alone is not enough: no address yet). */
  private int greetedAlive() {
    int n = 0;
    for (NodeId p : peers.alive()) {
      if (met.contains(p)) {
        n++;
      }
    }
    return n;
  }

  /**
   * Seeds other than this node's own address, and each DNS seed without an address now (which
   * counts as one seed not met, like an unreachable one).
   */
  private List<String> otherSeeds() {
    List<String> out = new ArrayList<>();
    for (String s : seeds.contacts()) {
      if (!s.equals(ownAddress)) {
        out.add(s);
      }
    }
    out.addAll(seeds.unresolved());
    return out;
  }

  private Set<NodeId> knownNodes() {
    Set<NodeId> known = new TreeSet<>(met);
    known.addAll(peers.alive());
    known.remove(self);
    return known;
  }

  private List<String> unmetSeeds() {
    Set<String> addresses = new HashSet<>();
    for (NodeId n : knownNodes()) {
      String a = peers.address(n);
      if (a != null) {
        addresses.add(a);
      }
    }
    List<String> out = new ArrayList<>();
    for (String s : otherSeeds()) {
      if (!addresses.contains(s)) {
        out.add(s);
      }
    }
    return out;
  }

  private int knownSize() {
    return 1 + knownNodes().size() + unmetSeeds().size();
  }

  private List<String> knownNames() {
    List<String> out = new ArrayList<>();
    out.add(self.value());
    knownNodes().forEach(n -> out.add(n.value()));
    out.addAll(unmetSeeds());
    return out;
  }
}
