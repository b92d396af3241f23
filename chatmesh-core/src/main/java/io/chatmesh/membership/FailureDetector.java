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
 * <p>Not thread-safe: the node uses it on its serial node lane; {@link #heard} may be called with
 * times that are not monotonic (late messages) and must tolerate that.
 */
public interface FailureDetector {

  /** A timeout-based detector. */
  static FailureDetector timeout(Duration failureTimeout) {
    return new TimeoutFailureDetector(failureTimeout.toMillis());
  }

  /** Records that {@code peer} (incarnation {@code incarnation}) was heard from at {@code nowMillis}. */
  List<Change> heard(NodeId peer, long incarnation, long nowMillis);

  /** Declares dead every peer silent for too long at {@code nowMillis}; returns those changes. */
  List<Change> check(long nowMillis);

  /** Declares {@code peer} dead at once (it said goodbye). */
  List<Change> down(NodeId peer);

  /** Peers currently alive. */
  Set<NodeId> alive();

  /** Whether {@code peer} is currently alive. */
  boolean isAlive(NodeId peer);

  /** A verdict change. */
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
