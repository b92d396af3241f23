package io.chatmesh.internal;

import io.chatmesh.spi.transport.PeerText;
import io.chatmesh.NodeId;
import io.chatmesh.RoomSummary;
import io.chatmesh.wire.DirectoryUpdate;
import io.chatmesh.wire.WireMessage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster-wide room directory as this node knows it: every room with its admin, epoch, member
 * count and availability. Each admin announces its own rooms (a delta when they change, a full
 * snapshot on hello and every few heartbeats); this node merges what its peers announce.
 *
 * <p>Threads: written on the node lane only (checked with {@link SerialExecutor#assertCurrent()}).
 * Room lanes do not write it: they post their changes with {@link #memberCountChanged}, {@link
 * #roomDeleted} and {@link #adminGone}, which hop onto the node lane. {@link #get} and {@link
 * #list} read from any thread.
 */
final class RoomDirectory {
  private static final Logger log = LoggerFactory.getLogger(RoomDirectory.class);

  private final NodeId self;
  private final SerialExecutor nodeLane;
  private final PeerMembership peers;
  private final BiConsumer<NodeId, WireMessage> send;
  /** Told (on the node lane) when a room of an admin no longer exists, or lost a split brain. */
  private final Gone roomGone;
  /** With failover: told (node lane) when a room gets a new admin or epoch. */
  private final @Nullable Moved moved;
  private final ConcurrentHashMap<String, RoomSummary> entries = new ConcurrentHashMap<>();
  /**
   * The names in {@link #entries} by admin (node lane only; kept by {@link #put} and {@link
   * #remove}): an admin's full snapshot and its availability touch its own rooms only, not every
   * room of the cluster, so a sync round costs each node O(rooms announced), not O(N x rooms).
   */
  private final Map<NodeId, Set<String>> byAdmin = new HashMap<>();
  /** Rooms this node administers, announced by it. */
  private final Set<String> own = new TreeSet<>();
  /** Per peer: the incarnation and the latest update version seen from it. */
  private final Map<NodeId, long[]> versions = new HashMap<>();
  /** Peers whose full announcement this node has received since it started (node lane). */
  private final Set<NodeId> heardFull = new HashSet<>();
  private final PeerText.Limited refusals = new PeerText.Limited(log, 10_000);
  private long version;

  /** With failover: what the directory tells the engine about rooms that changed admin (node lane). */
  interface Moved {
    /** Room {@code room} is administered by {@code admin} at {@code epoch}, newer than known before. */
    void moved(String room, NodeId admin, long epoch);
  }

  /** What the directory tells the engine about rooms that ended elsewhere (node lane). */
  interface Gone {
    /**
     * Room {@code room} as administered by {@code admin} no longer exists: its admin announced so,
     * or it lost a split brain (then {@code admin} may be this node, which must drop its room).
     */
    void gone(String room, NodeId admin, String reason);
  }

  RoomDirectory(
      NodeId self,
      SerialExecutor nodeLane,
      PeerMembership peers,
      BiConsumer<NodeId, WireMessage> send,
      Gone roomGone,
      @Nullable Moved moved) {
    this.self = self;
    this.nodeLane = nodeLane;
    this.peers = peers;
    this.send = send;
    this.roomGone = roomGone;
    this.moved = moved;
  }

  /**
   * Posted by the lane of a room this node administered and no longer does (its lease lapsed, or a
   * newer admin exists): it is no longer announced as this node's, and stays listed as unavailable
   * until its next admin announces it.
   */
  void steppedDown(String room, long epoch) {
    nodeLane.execute(() -> {
      if (own.remove(room)) {
        RoomSummary v = entries.get(room);
        if (v != null && v.admin().equals(self) && v.epoch() <= epoch) {
          put(new RoomSummary(room, self, v.epoch(), v.memberCount(), false));
        }
      }
    });
  }

  /** Posted by the lane of a room this node took over at {@code epoch}: announce it. */
  void tookOver(String room, long epoch) {
    nodeLane.execute(() -> {
      RoomSummary v = entries.get(room);
      put(new RoomSummary(room, self, epoch, v == null ? 0 : v.memberCount(), true));
      own.add(room);
      broadcast(List.of(room), List.of());
    });
  }

  // ---------------------------------------------------------------- any thread

  /** The room's entry, or null if this node knows no such room. Any thread. */
  @Nullable RoomSummary get(String room) {
    return entries.get(room);
  }

  /** All known rooms, sorted by name. Any thread. */
  List<RoomSummary> list() {
    List<RoomSummary> out = new ArrayList<>(entries.values());
    out.sort(Comparator.comparing(RoomSummary::name));
    return out;
  }

  /** Posted by an admin room lane when its member count changed. */
  void memberCountChanged(String room, int count) {
    nodeLane.execute(
        () -> entries.computeIfPresent(room, (k, v) -> new RoomSummary(v.name(), v.admin(), v.epoch(), count, v.available())));
    // the admin is unchanged: byAdmin stays right
  }

  /** Posted by the admin's room lane after a committed deletion: forget it and tell the peers. */
  void roomDeleted(String room) {
    nodeLane.execute(() -> {
      own.remove(room);
      remove(room);
      broadcast(List.of(), List.of(room));
    });
  }

  /**
   * Posted by the lane of a room of this node that lost a split brain, once its member nodes were
   * sent {@code RoomGone} with the reason: tells the peers the room is gone here (unless this node
   * has administered a room of that name again since).
   */
  void lostSplitBrain(String room) {
    nodeLane.execute(() -> {
      if (!own.contains(room)) {
        broadcast(List.of(), List.of(room));
      }
    });
  }

  /** Posted by a member room lane whose room ended (deleted or gone at {@code admin}, another node). */
  void adminGone(String room, NodeId admin) {
    nodeLane.execute(() -> {
      RoomSummary v = entries.get(room);
      if (v != null && v.admin().equals(admin) && !self.equals(admin)) {
        remove(room);
      }
    });
  }

  /**
   * With failover: the room was found retired (deleted) at the lease backend. Posted by the room's
   * lane or by {@link RetiredRooms}. Forgets the room unless this node announces it as its own, or
   * lists it at an epoch above {@code maxEpoch} (a later incarnation of the name, announced since).
   */
  void dropRetired(String room, long maxEpoch) {
    nodeLane.execute(() -> {
      RoomSummary cur = entries.get(room);
      if (cur == null || own.contains(room) || cur.epoch() > maxEpoch) {
        return;
      }
      log.info("node {} forgets room '{}' (admin {}, epoch {}): it was deleted (retired at the lease backend)", self, room, cur.admin(),
          cur.epoch());
      remove(room);
    });
  }

  // ---------------------------------------------------------------- node lane

  /** Rooms listed unavailable under another admin (node lane): with failover, they may have been deleted unheard. */
  List<RoomSummary> unavailableOthers() {
    nodeLane.assertCurrent();
    List<RoomSummary> out = new ArrayList<>();
    for (RoomSummary s : entries.values()) {
      if (!s.available() && !own.contains(s.name())) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * Whether this node has received a full announcement from {@code node} since it started: then it
   * knows every room {@code node} administered then, and hears of later ones. A node that restarted
   * has forgotten the rooms of every peer it has not heard since (see {@link ClusterQuorum}).
   */
  boolean heardFrom(NodeId node) {
    nodeLane.assertCurrent();
    return heardFull.contains(node);
  }

  /** A room this node administered before a restart, restored from the history store. */
  void restored(String room, long epoch) {
    nodeLane.assertCurrent();
    own.add(room);
    put(new RoomSummary(room, self, epoch, 0, true));
  }

  /** A room name reservation committed: {@code admin} created {@code room} at {@code epoch}. */
  void created(String room, NodeId admin, long epoch) {
    nodeLane.assertCurrent();
    RoomSummary cur = entries.get(room);
    if (moved != null && cur != null && cur.epoch() > epoch) {
      // with failover: the decision of this room's creation arrived late (this node was in doubt)
      // and the room has moved on to a newer epoch meanwhile - maybe taken over by this node, whose
      // own entry no announcement would correct; the same rule as an announcement's older epoch
      log.debug("{}: room '{}' created by {} at epoch {}: keeps the newer entry ({} at epoch {})", self, room, admin, epoch,
          cur.admin(), cur.epoch());
      return;
    }
    put(new RoomSummary(room, admin, epoch, 0, peers.isAlive(admin)));
    if (admin.equals(self)) {
      own.add(room);
      // nodes that were not participants (joined meanwhile) learn it here
      broadcast(List.of(room), List.of());
    }
  }

  /** A deletion coordinated by {@code coordinator} committed: forget the room if it was its admin. */
  void deleted(String room, NodeId coordinator) {
    nodeLane.assertCurrent();
    RoomSummary s = entries.get(room);
    if (s != null && s.admin().equals(coordinator)) {
      remove(room);
    }
  }

  /** Rooms this node administers, sorted by name. */
  List<String> ownRooms() {
    nodeLane.assertCurrent();
    return List.copyOf(own);
  }

  /** Sends this node's full announcement to every live peer (repairs lost deltas). */
  void sync() {
    nodeLane.assertCurrent();
    DirectoryUpdate u = snapshot();
    for (NodeId peer : peers.alive()) {
      send.accept(peer, u);
    }
  }

  /** A peer said hello: it gets this node's full announcement. */
  void greeted(NodeId node) {
    nodeLane.assertCurrent();
    send.accept(node, snapshot());
  }

  void nodeUp(NodeId node) {
    nodeLane.assertCurrent();
    setAvailable(node, true);
    if (peers.address(node) == null) {
      // heard from it before its hello: it gets our snapshot when its hello comes
      log.debug("node {} has no address for {} yet", self, node);
    } else {
      send.accept(node, snapshot());
    }
  }

  void nodeDown(NodeId node) {
    nodeLane.assertCurrent();
    setAvailable(node, false);
  }

  /**
   * Merges an announcement of {@code from}, sent by its incarnation {@code incarnation}. A new
   * incarnation starts its versions afresh: its first full snapshot replaces everything the old one
   * announced (a restarted node that lost its rooms makes them vanish here at once). A node speaks
   * only for itself: an update that lists a room under another admin is refused as a whole (logged). Two admins
   * claiming one name is a split brain, settled by {@link #wins}: identically on every node, so the
   * directory converges; a room of this node that loses is dropped (its members are told).
   */
  void onUpdate(NodeId from, long incarnation, DirectoryUpdate u) {
    nodeLane.assertCurrent();
    for (DirectoryUpdate.Entry e : u.rooms()) {
      if (!e.admin().equals(from)) {
        refusals.warn(from + "/directory",
            "node " + self + " refuses a directory update from node " + PeerText.safe(from.value()) + ": it lists room '"
                + PeerText.safe(e.room()) + "' under node " + PeerText.safe(e.admin().value()) + " (a node announces only its own rooms)");
        return;
      }
    }
    long[] seen = versions.get(from);
    if (seen != null && incarnation < seen[0]) {
      return; // from an earlier life of that node
    }
    if (u.full()) {
      heardFull.add(from);
    }
    if (seen != null && incarnation == seen[0] && u.version() <= seen[1] && u.full()) {
      return; // a stale snapshot overtaken by a newer update
    }
    if (seen == null || incarnation > seen[0]) {
      versions.put(from, new long[] {incarnation, u.version()});
    } else {
      seen[1] = Math.max(seen[1], u.version());
    }
    boolean up = peers.isAlive(from);
    Set<String> listed = new HashSet<>();
    for (DirectoryUpdate.Entry e : u.rooms()) {
      listed.add(e.room());
      RoomSummary cur = entries.get(e.room());
      if (moved != null && cur != null && (e.epoch() != cur.epoch() || !cur.admin().equals(e.admin()))) {
        if (e.epoch() < cur.epoch()) {
          if (cur.admin().equals(self) && own.contains(e.room())) {
            send.accept(e.admin(), snapshot()); // a stale admin learns of the newer epoch at once
          }
          continue;
        }
        own.remove(e.room());
        put(new RoomSummary(e.room(), e.admin(), e.epoch(), e.memberCount(), up));
        moved.moved(e.room(), e.admin(), e.epoch());
        continue;
      }
      if (cur != null && !cur.admin().equals(e.admin()) && !resolveSplitBrain(cur, e)) {
        continue; // ours (or the one we know) wins
      }
      put(new RoomSummary(e.room(), e.admin(), e.epoch(), e.memberCount(), up));
    }
    List<String> gone = new ArrayList<>(u.removed());
    if (u.full()) {
      for (String room : byAdmin.getOrDefault(from, Set.of())) {
        if (!listed.contains(room)) {
          gone.add(room);
        }
      }
    }
    if (moved != null) {
      // with failover a room its admin no longer announces (it stepped down, or restarted without
      // it) is not gone: it stays listed, unavailable, until its next admin announces it; only an
      // explicit removal (a committed deletion) ends it
      gone.removeIf(room -> {
        if (u.removed().contains(room)) {
          return false;
        }
        RoomSummary s = entries.get(room);
        if (s != null && s.admin().equals(from)) {
          put(new RoomSummary(room, from, s.epoch(), s.memberCount(), false));
        }
        return true;
      });
    }
    for (String room : gone) {
      RoomSummary s = entries.get(room);
      if (s != null && s.admin().equals(from)) {
        remove(room);
        roomGone.gone(room, from, "room '" + room + "' no longer exists on its admin node " + from);
      }
    }
  }

  /**
   * Split-brain rule: of two live rooms with one name, the one with the higher epoch wins, and of
   * equal epochs the one whose admin has the lower node id. The epoch is the room's fencing token
   * (a later generation of a name supersedes an earlier one); the node id is unique, stable and
   * seen identically by every node, so every node picks the same winner from the announcements
   * alone, with no extra round of messages. Every creation takes a new epoch from its creating
   * node's wall clock ({@link NodeEngine#creationEpoch}), so the later creation normally wins; with
   * clocks that disagree "later" may be misjudged, but every node still picks the same winner.
   */
  static boolean wins(long epoch, NodeId admin, long otherEpoch, NodeId otherAdmin) {
    if (epoch != otherEpoch) {
      return epoch > otherEpoch;
    }
    return admin.compareTo(otherAdmin) < 0;
  }

  /**
   * {@code claim} names another admin than {@code cur} for one room: applies {@link #wins}. Returns
   * true when the claim wins (the caller records it); the losing room is then reported gone here,
   * so its local members are told and, if this node administers it, it is dropped.
   */
  private boolean resolveSplitBrain(RoomSummary cur, DirectoryUpdate.Entry claim) {
    String room = claim.room();
    if (!wins(claim.epoch(), claim.admin(), cur.epoch(), cur.admin())) {
      log.warn("room '{}' is claimed by {} (epoch {}) and by {} (epoch {}): split brain, {} keeps the room of {}",
          room, claim.admin(), claim.epoch(), cur.admin(), cur.epoch(), self, cur.admin());
      if (cur.admin().equals(self)) {
        send.accept(claim.admin(), snapshot()); // the loser learns at once that it lost
      }
      return false;
    }
    String reason = "split brain: room '" + room + "' also exists on node " + claim.admin() + " (epoch " + claim.epoch()
        + "), which wins over node " + cur.admin() + " (epoch " + cur.epoch()
        + ") by the rule 'higher epoch, then lower node id'; this room was dropped, join '" + room + "' again";
    log.warn("node {}: {}", self, reason);
    if (own.remove(room)) {
      // the peers hear of the removal from the room's lane (lostSplitBrain), after its member
      // nodes were sent RoomGone with this reason: per-link order then tells members why
      remove(room);
    }
    roomGone.gone(room, cur.admin(), reason);
    return true;
  }

  private void setAvailable(NodeId admin, boolean available) {
    for (String room : byAdmin.getOrDefault(admin, Set.of())) {
      entries.computeIfPresent(room, (k, v) -> new RoomSummary(v.name(), v.admin(), v.epoch(), v.memberCount(), available));
    }
  }

  /** Records {@code s} (node lane), keeping {@link #byAdmin} in step. */
  private void put(RoomSummary s) {
    RoomSummary old = entries.put(s.name(), s);
    if (old != null && !old.admin().equals(s.admin())) {
      unindex(old);
    }
    byAdmin.computeIfAbsent(s.admin(), k -> new HashSet<>()).add(s.name());
  }

  /** Forgets {@code room} (node lane), keeping {@link #byAdmin} in step. */
  private void remove(String room) {
    RoomSummary old = entries.remove(room);
    if (old != null) {
      unindex(old);
    }
  }

  private void unindex(RoomSummary s) {
    Set<String> names = byAdmin.get(s.admin());
    if (names != null) {
      names.remove(s.name());
      if (names.isEmpty()) {
        byAdmin.remove(s.admin());
      }
    }
  }

  private DirectoryUpdate snapshot() {
    List<DirectoryUpdate.Entry> list = new ArrayList<>();
    for (String r : own) {
      RoomSummary s = entries.get(r);
      list.add(new DirectoryUpdate.Entry(r, self, s == null ? 1 : s.epoch(), s == null ? 0 : s.memberCount()));
    }
    return new DirectoryUpdate(++version, true, list, List.of());
  }

  private void broadcast(List<String> upserts, List<String> removed) {
    List<DirectoryUpdate.Entry> list = new ArrayList<>();
    for (String r : upserts) {
      RoomSummary s = entries.get(r);
      if (s != null) {
        list.add(new DirectoryUpdate.Entry(r, self, s.epoch(), s.memberCount()));
      }
    }
    DirectoryUpdate u = new DirectoryUpdate(++version, false, list, removed);
    for (NodeId peer : peers.alive()) {
      send.accept(peer, u);
    }
  }
}
