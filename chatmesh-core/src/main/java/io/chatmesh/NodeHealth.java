package io.chatmesh;

import java.util.List;

/**
 * Whether a node can serve, as returned by {@link ChatNode#health()}: the answer behind a
 * readiness probe. Immutable; thread-safe.
 *
 * @param running started and not closed
 * @param transportListening the transport was bound (its address is known) and the node runs
 * @param seedsMet the node has no seeds, or it is in touch with at least one live peer (seeds
 *     introduce the cluster: a node that never met anyone is alone)
 * @param historyStoreReachable no administered room sees its history store failing appends (the
 *     store is judged by its last appends; with no administered room it counts as reachable)
 * @param problems one line per check that failed, empty when {@link #ready()}
 */
public record NodeHealth(
    boolean running, boolean transportListening, boolean seedsMet, boolean historyStoreReachable, List<String> problems) {

  /** Copies {@code problems}. */
  public NodeHealth {
    problems = List.copyOf(problems);
  }

  /** Every check passed: the node should receive traffic. */
  public boolean ready() {
    return problems.isEmpty();
  }
}
