package io.chatmesh.internal;

import io.chatmesh.NodeId;
import io.chatmesh.UserId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The members of a room as its admin keeps them: per user, the nodes it is connected through (one
 * user may join through several nodes; it stays a member until the last one leaves) and the seq of
 * its JOINED entry; per node, how many members it carries - the nodes every entry is broadcast to.
 *
 * <p>After a takeover the users the log lists are adopted without a node ({@link #adopt}); during
 * the grace period a request or sync from a node attaches the user to it ({@link #attachIfAdopting}).
 * Not thread-safe: the admin's room lane only.
 */
final class RoomMembers {
  /** A member; {@code user} is the instance put into the room's entries (one copy per member). */
  record Member(UserId user, Set<NodeId> nodes, long joinSeq) {}

  private final TreeMap<UserId, Member> byUser = new TreeMap<>();
  private final Map<NodeId, Integer> nodes = new LinkedHashMap<>();
  private long adoptUntil;

  @Nullable Member get(UserId user) {
    return byUser.get(user);
  }

  int size() {
    return byUser.size();
  }

  /** The members' ids, sorted. */
  List<UserId> users() {
    return List.copyOf(byUser.keySet());
  }

  /** The nodes with members (a live view, in the order they first carried one). */
  Set<NodeId> nodes() {
    return nodes.keySet();
  }

  /** The members now (a copy: safe to change the members while iterating). */
  List<Member> snapshot() {
    return new ArrayList<>(byUser.values());
  }

  /** A new member joined through {@code node} with its JOINED entry at {@code joinSeq}. */
  Member add(UserId user, NodeId node, long joinSeq) {
    Member m = new Member(user, new LinkedHashSet<>(List.of(node)), joinSeq);
    byUser.put(user, m);
    nodes.merge(node, 1, Integer::sum);
    return m;
  }

  /** {@code m} is also connected through {@code node} (another device). */
  void addNode(Member m, NodeId node) {
    if (m.nodes().add(node)) {
      nodes.merge(node, 1, Integer::sum);
    }
  }

  /** {@code m} is no longer a member. */
  void remove(Member m) {
    byUser.remove(m.user());
    for (NodeId n : m.nodes()) {
      nodes.computeIfPresent(n, (k, v) -> v <= 1 ? null : v - 1);
    }
  }

  /** {@code m} stays a member through its other nodes, no longer through {@code node}. */
  void removeNode(Member m, NodeId node) {
    if (m.nodes().remove(node)) {
      nodes.computeIfPresent(node, (k, v) -> v <= 1 ? null : v - 1);
    }
  }

  /** Entries are no longer sent to {@code node} (it is down); its members are handled by the caller. */
  void forgetNode(NodeId node) {
    nodes.remove(node);
  }

  /**
   * {@code node} is up again: if members are still connected through it (it was forgotten while
   * they were kept), entries are sent to it again. Returns whether it carries members.
   */
  boolean recallNode(NodeId node) {
    int carried = 0;
    for (Member m : byUser.values()) {
      if (m.nodes().contains(node)) {
        carried++;
      }
    }
    if (carried > 0) {
      nodes.put(node, carried);
    }
    return carried > 0;
  }

  /** After a takeover: {@code users} are members, attached to no node until {@code until} (clock millis). */
  void adopt(List<UserId> users, long joinSeq, long until) {
    for (UserId u : users) {
      byUser.put(u, new Member(u, new LinkedHashSet<>(), joinSeq));
    }
    adoptUntil = until;
  }

  /** During the grace period after a takeover: attaches {@code m} to {@code node}, which speaks for it. */
  void attachIfAdopting(@Nullable Member m, NodeId node, long now) {
    if (m != null && now < adoptUntil) {
      addNode(m, node);
    }
  }

  /** Ends the grace period; returns the members no node attached (their node died with the old admin). */
  List<Member> endAdoption() {
    adoptUntil = 0;
    List<Member> out = new ArrayList<>();
    for (Member m : byUser.values()) {
      if (m.nodes().isEmpty()) {
        out.add(m);
      }
    }
    return out;
  }

  void clear() {
    byUser.clear();
    nodes.clear();
  }
}
