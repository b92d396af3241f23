package io.chatmesh.membership;

import io.chatmesh.NodeId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Last-heard times and incarnations per peer. */
final class TimeoutFailureDetector implements FailureDetector {
  private final long timeoutMillis;
  private final Map<NodeId, Peer> peers = new HashMap<>();

  TimeoutFailureDetector(long timeoutMillis) {
    this.timeoutMillis = timeoutMillis;
  }

  @Override
  public List<Change> heard(NodeId node, long incarnation, long now) {
    Peer p = peers.get(node);
    if (p == null) {
      peers.put(node, new Peer(incarnation, now, true));
      return List.of(new Change(node, Change.Kind.UP));
    }
    if (incarnation < p.incarnation) {
      return List.of(); // a late message from an earlier incarnation: ignore
    }
    boolean newer = now > p.lastHeard;
    p.lastHeard = Math.max(p.lastHeard, now);
    if (incarnation > p.incarnation) {
      p.incarnation = incarnation;
      p.alive = true;
      return List.of(new Change(node, Change.Kind.RESTARTED));
    }
    if (!p.alive && newer) {
      // only a message heard after the verdict revives a peer, never a replay of what was known
      p.alive = true;
      return List.of(new Change(node, Change.Kind.UP));
    }
    return List.of();
  }

  @Override
  public List<Change> check(long now) {
    List<Change> out = new ArrayList<>();
    for (Map.Entry<NodeId, Peer> e : peers.entrySet()) {
      Peer p = e.getValue();
      if (p.alive && now - p.lastHeard > timeoutMillis) {
        p.alive = false;
        out.add(new Change(e.getKey(), Change.Kind.DOWN));
      }
    }
    return out;
  }

  @Override
  public List<Change> down(NodeId node) {
    Peer p = peers.get(node);
    if (p != null && p.alive) {
      p.alive = false;
      return List.of(new Change(node, Change.Kind.DOWN));
    }
    return List.of();
  }

  @Override
  public Set<NodeId> alive() {
    Set<NodeId> out = new TreeSet<>();
    peers.forEach((k, v) -> {
      if (v.alive) {
        out.add(k);
      }
    });
    return out;
  }

  @Override
  public boolean isAlive(NodeId node) {
    Peer p = peers.get(node);
    return p != null && p.alive;
  }

  private static final class Peer {
    long incarnation;
    long lastHeard;
    boolean alive;

    Peer(long incarnation, long lastHeard, boolean alive) {
      this.incarnation = incarnation;
      this.lastHeard = lastHeard;
      this.alive = alive;
    }
  }
}
