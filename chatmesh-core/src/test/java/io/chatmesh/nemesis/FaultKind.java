package io.chatmesh.nemesis;

import java.util.EnumSet;
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
  DELETE_RECREATE_RESUME;

  /** Every kind. */
  static Set<FaultKind> all() {
    return EnumSet.allOf(FaultKind.class);
  }

  /** Parses "all", "none" or a comma-separated list of kind names (case-insensitive). */
  static Set<FaultKind> parse(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    if (s.equals("all")) {
      return all();
    }
    Set<FaultKind> out = EnumSet.noneOf(FaultKind.class);
    if (s.isEmpty() || s.equals("none")) {
      return out;
    }
    for (String k : s.split(",")) {
      out.add(FaultKind.valueOf(k.trim().toUpperCase(Locale.ROOT)));
    }
    return out;
  }

  /** The comma-separated form {@link #parse} reads. */
  static String format(Set<FaultKind> kinds) {
    if (kinds.equals(all())) {
      return "all";
    }
    if (kinds.isEmpty()) {
      return "none";
    }
    return String.join(",", kinds.stream().map(k -> k.name().toLowerCase(Locale.ROOT)).toList());
  }
}
