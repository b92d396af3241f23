package io.chatmesh;

import java.util.List;

/**
 * Whether a node can serve, as returned by {@link ChatNode#health()}: the answer behind a
 * readiness probe. Immutable; thread-safe.
 *
 * @param running started and not closed
 * @param transportListening the transport was bound (its address is known) and the node runs
 * @param seedsMet the node is {@link ChatNode#isReady() ready}: it has no seeds, or it has met
 *     them (or a majority of the nodes it knows)
 * @param historyStoreReachable no administered room sees its history store failing appends (the
 *     store is judged by its last appends; with no administered room it counts as reachable)
 * @param problems one line per check that failed, empty when {@link #ready()}
 */
public record NodeHealth(
    boolean running, boolean transportListening, boolean seedsMet, boolean historyStoreReachable, List<String> problems) {

  /**
   * Copies {@code problems}.
   *
   * @param running started and not closed
   * @param transportListening the transport was bound (its address is known) and the node runs
   * @param seedsMet the node is {@link ChatNode#isReady() ready}: it has no seeds, or it has met
   *     them (or a majority of the nodes it knows)
   * @param historyStoreReachable no administered room sees its history store failing appends (the
   *     store is judged by its last appends; with no administered room it counts as reachable)
   * @param problems one line per check that failed, empty when {@link #ready()}
   */
  public NodeHealth {
    problems = List.copyOf(problems);
  }

  /**
   * Every check passed: the node should receive traffic.
   *
   * @return whether no check failed
   */
  public boolean ready() {
    return problems.isEmpty();
  }
}
