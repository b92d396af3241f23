package io.chatmesh.nemesis;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The faults a nemesis run may apply, chosen by the seed among the enabled ones. */
enum FaultKind {
  /** Random drop, duplicate and reorder on every link for a while. */
  LOSSY,
  /** Random loss on every link to and from one node (entries and replies to it lost). */
  LOSSY_NODE,
  /** A two-way partition into two random groups. */
  PARTITION,
  /** One-way loss: a node still hears the others but is not heard (every link from it cut). */
  ONE_WAY,
  /** One link held (congested, not writable) for a while. */
  STALL,
  /** A node's links paused longer than the failure timeout, then resumed: a zombie with stale beliefs. */
  PAUSE,
  /** A node crashed, restarted later with its history store. */
  CRASH,
  /** A node crashed and restarted at once, while others still hold requests of its previous process. */
  FAST_RESTART,
  /** A node restarted that creates a room at once, before it met its peers. */
  RESTART_CREATE,
  /** The shared clock jumps past the failure timeout in one step. */
  CLOCK_JUMP,
  /** A node's history store answers slower than the request timeout for a while. */
  SLOW_STORE,
  /** A random partition that starts as soon as the first 2PC vote of a creation or deletion passed. */
  PARTITION_AFTER_VOTE,
  /** The admin holds sends for a congested member link, then that member node restarts. */
  HELD_THEN_RESTART,
  /** A room deleted with sends in flight, created again at once, and a former member resuming by (epoch, seq). */
  DELETE_RECREATE_RESUME,
  /**
   * Failover only: a room's admin crashes (its lease access cut with it) while sends and joins
   * through the other nodes are in flight; restarted some steps later with its store, or at once as
   * a fresh node (empty store).
   */
  ADMIN_CRASH(true),
  /**
   * Failover only: a room's admin pauses like a stopped process (links paused and its lease access
   * cut, so its lease lapses) while sends and joins are in flight; resumed (a zombie) a few steps later.
   */
  ADMIN_PAUSE(true),
  /**
   * Failover only: a room's admin partitioned from the other nodes while sends and joins are in
   * flight, either keeping its lease access (nobody may take over; the room waits) or losing it
   * (the others take over; the old admin must step down at the heal).
   */
  ADMIN_PARTITION(true);

  private final boolean failover;

  FaultKind() {
    this(false);
  }

  FaultKind(boolean failover) {
    this.failover = failover;
  }

  /** Whether the kind aims at failover (needs {@code -Dnemesis.failover}). */
  boolean failover() {
    return failover;
  }

  /** Every kind of the runs without failover ("all"; the failover kinds are "failover"). */
  static Set<FaultKind> all() {
    Set<FaultKind> out = EnumSet.noneOf(FaultKind.class);
    for (FaultKind k : values()) {
      if (!k.failover) {
        out.add(k);
      }
    }
    return out;
  }

  /** The failover kinds ("failover"). */
  static Set<FaultKind> failoverKinds() {
    Set<FaultKind> out = EnumSet.allOf(FaultKind.class);
    out.removeAll(all());
    return out;
  }

  /**
   * Parses "none" or a comma-separated list of kind names and the groups "all" (every kind but the
   * failover ones) and "failover" (case-insensitive): "all,failover" is every kind.
   */
  static Set<FaultKind> parse(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    Set<FaultKind> out = EnumSet.noneOf(FaultKind.class);
    if (s.isEmpty() || s.equals("none")) {
      return out;
    }
    for (String k : s.split(",")) {
      String t = k.trim();
      if (t.equals("all")) {
        out.addAll(all());
      } else if (t.equals("failover")) {
        out.addAll(failoverKinds());
      } else {
        out.add(FaultKind.valueOf(t.toUpperCase(Locale.ROOT)));
      }
    }
    return out;
  }

  /** The comma-separated form {@link #parse} reads. */
  static String format(Set<FaultKind> kinds) {
    if (kinds.isEmpty()) {
      return "none";
    }
    Set<FaultKind> rest = EnumSet.copyOf(kinds);
    List<String> parts = new ArrayList<>();
    if (kinds.containsAll(all())) {
      parts.add("all");
      rest.removeAll(all());
    }
    if (kinds.containsAll(failoverKinds())) {
      parts.add("failover");
      rest.removeAll(failoverKinds());
    }
    rest.forEach(k -> parts.add(k.name().toLowerCase(Locale.ROOT)));
    return String.join(",", parts);
  }
}
