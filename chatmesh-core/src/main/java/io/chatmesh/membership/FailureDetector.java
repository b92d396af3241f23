package io.chatmesh.membership;

import io.chatmesh.NodeId;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Decides which peers are alive from the times they were last heard from. Timeout-based: a peer
 * silent for longer than the failure timeout is declared dead; hearing from it again makes it
 * alive. A new incarnation (the peer restarted) is reported as {@link Change.Kind#RESTARTED}.
 *
 * <p>Pluggable: pass a {@link Factory} to {@code ChatNode.Builder.failureDetector(...)}; the
 * default is {@link #timeout}. The node feeds it every message it hears ({@link #heard}), calls
 * {@link #check} once per heartbeat interval and {@link #down} when a peer says goodbye, and acts
 * on the returned {@link Change}s only: a DOWN fails the requests waiting on the peer, marks its
 * rooms unavailable, removes its users from the rooms this node administers and tells {@code
 * ClusterListener}s; an UP makes the peer live again; a RESTARTED is a DOWN then an UP. An
 * implementation must guarantee that it reports a change exactly once per transition (no DOWN for
 * a peer that is not alive, no UP for one that is), that {@link #alive()} and {@link #isAlive}
 * agree with the changes reported so far, and that a peer it never heard of is not alive. A
 * detector that declares live peers dead costs availability (their users are removed), one that
 * never declares dead peers dead leaves their rooms waiting.
 *
 * <p>Not thread-safe: the node uses it on its serial node lane (implementations need no locking
 * and must not block); {@link #heard} may be called with times that are not monotonic (late
 * messages) and must tolerate that.
 */
public interface FailureDetector {

  /**
   * The default, timeout-based detector.
   *
   * @param failureTimeout silence after which a peer is declared dead
   * @return a new detector that knows no peers yet
   */
  static FailureDetector timeout(Duration failureTimeout) {
    return new TimeoutFailureDetector(failureTimeout.toMillis());
  }

  /**
   * Creates a node's failure detector once, when the node is built.
   */
  @FunctionalInterface
  interface Factory {
    /**
     * A detector for one node.
     *
     * @param failureTimeout the node's {@code failureTimeout} setting
     * @return a new detector, not shared with another node
     */
    FailureDetector create(Duration failureTimeout);
  }

  /**
   * Records that {@code peer} was heard from.
   *
   * @param peer the peer
   * @param incarnation the peer's incarnation (it grows when the peer restarts)
   * @param nowMillis the node clock when it was heard
   * @return the changes this causes (UP for a new or revived peer, RESTARTED for a new
   *     incarnation), often none
   */
  List<Change> heard(NodeId peer, long incarnation, long nowMillis);

  /**
   * Declares dead every peer silent for too long.
   *
   * @param nowMillis the node clock now
   * @return a DOWN change for each peer declared dead by this call
   */
  List<Change> check(long nowMillis);

  /**
   * Declares {@code peer} dead at once (it said goodbye).
   *
   * @param peer the peer
   * @return a DOWN change if the peer was alive, else none
   */
  List<Change> down(NodeId peer);

  /**
   * Peers currently alive.
   *
   * @return a snapshot, not including this node
   */
  Set<NodeId> alive();

  /**
   * Whether {@code peer} is currently alive.
   *
   * @param peer the peer
   * @return true if it is alive
   */
  boolean isAlive(NodeId peer);

  /**
   * A verdict change.
   *
   * @param node the peer it is about
   * @param kind what changed
   */
  record Change(NodeId node, Kind kind) {
    /** What changed. */
    public enum Kind {
      /** First heard of, or heard again after being declared dead. */
      UP,
      /** Silent past the timeout, or said goodbye. */
      DOWN,
      /** Heard with a new incarnation: the old one is gone (treat as DOWN then UP). */
      RESTARTED
    }
  }
}
