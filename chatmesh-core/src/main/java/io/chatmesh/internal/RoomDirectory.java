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
  /** Told (on the node lane) when a room's admin announced that the room no longer exists. */
  private final BiConsumer<String, NodeId> roomGone;
  private final ConcurrentHashMap<String, RoomSummary> entries = new ConcurrentHashMap<>();
  /** Rooms this node administers, announced by it. */
  private final Set<String> own = new TreeSet<>();
  /** Per peer: the incarnation and the latest update version seen from it. */
  private final Map<NodeId, long[]> versions = new HashMap<>();
  private final PeerText.Limited refusals = new PeerText.Limited(log, 10_000);
  private long version;

  RoomDirectory(
      NodeId self,
      SerialExecutor nodeLane,
      PeerMembership peers,
      BiConsumer<NodeId, WireMessage> send,
      BiConsumer<String, NodeId> roomGone) {
    this.self = self;
    this.nodeLane = nodeLane;
    this.peers = peers;
    this.send = send;
    this.roomGone = roomGone;
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
  }

  /** Posted by the admin's room lane after a committed deletion: forget it and tell the peers. */
  void roomDeleted(String room) {
    nodeLane.execute(() -> {
      own.remove(room);
      entries.remove(room);
      broadcast(List.of(), List.of(room));
    });
  }

  /** Posted by a member room lane whose room ended (deleted or gone at {@code admin}, another node). */
  void adminGone(String room, NodeId admin) {
    nodeLane.execute(
        () -> entries.computeIfPresent(room, (k, v) -> v.admin().equals(admin) && !self.equals(admin) ? null : v));
  }

  // ---------------------------------------------------------------- node lane

  /** A room this node administered before a restart, restored from the history store. */
  void restored(String room, long epoch) {
    nodeLane.assertCurrent();
    own.add(room);
    entries.put(room, new RoomSummary(room, self, epoch, 0, true));
  }

  /** A room name reservation committed: {@code admin} created {@code room} (at epoch 1). */
  void created(String room, NodeId admin) {
    nodeLane.assertCurrent();
    entries.put(room, new RoomSummary(room, admin, 1, 0, peers.isAlive(admin)));
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
      entries.remove(room);
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
   * Merges a peer's announcement. A node speaks only for itself: an update that lists a room under
   * another admin is refused as a whole (logged). Versions count per incarnation of the sender: a
   * restarted node starts again from 1.
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
    if (seen != null && seen[0] == incarnation && u.version() <= seen[1] && u.full()) {
      return; // a stale snapshot overtaken by a newer update
    }
    if (seen == null || seen[0] != incarnation) {
      versions.put(from, new long[] {incarnation, u.version()});
    } else {
      seen[1] = Math.max(seen[1], u.version());
    }
    boolean up = peers.isAlive(from);
    Set<String> listed = new HashSet<>();
    for (DirectoryUpdate.Entry e : u.rooms()) {
      listed.add(e.room());
      RoomSummary cur = entries.get(e.room());
      if (cur != null && !cur.admin().equals(e.admin()) && cur.admin().equals(self)) {
        log.error("room '{}' is claimed by {} but administered here on {}: split brain, keeping ours", e.room(), e.admin(), self);
        continue;
      }
      entries.put(e.room(), new RoomSummary(e.room(), e.admin(), e.epoch(), e.memberCount(), up));
    }
    List<String> gone = new ArrayList<>(u.removed());
    if (u.full()) {
      entries.values().forEach(s -> {
        if (s.admin().equals(from) && !listed.contains(s.name())) {
          gone.add(s.name());
        }
      });
    }
    for (String room : gone) {
      RoomSummary s = entries.get(room);
      if (s != null && s.admin().equals(from)) {
        entries.remove(room);
        roomGone.accept(room, from);
      }
    }
  }

  private void setAvailable(NodeId admin, boolean available) {
    entries.replaceAll((k, v) -> v.admin().equals(admin) ? new RoomSummary(v.name(), v.admin(), v.epoch(), v.memberCount(), available) : v);
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
