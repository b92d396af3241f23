package io.chatmesh.twopc;

import io.chatmesh.NodeId;
import io.chatmesh.wire.TxKind;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Two-phase commit roles. See the package documentation for the exact rules (presumed abort,
 * in-doubt handling). Implementations are thread-safe.
 */
public interface TwoPhaseCommit {

  /** One transaction. */
  record Transaction(String id, TxKind kind, String room, NodeId coordinator) {}

  /** A participant's vote. */
  record Vote(boolean ready, String reason) {
    /** A READY vote. */
    public static Vote readyVote() {
      return new Vote(true, "");
    }

    /** ABORT, saying why. */
    public static Vote abort(String reason) {
      return new Vote(false, reason);
    }
  }

  /** The outcome of a transaction. */
  enum Outcome {
    /** Every participant voted READY and was told to commit. */
    COMMITTED,
    /** Some participant voted ABORT or did not answer; every participant was told to roll back. */
    ROLLED_BACK
  }

  /** Runs transactions. */
  interface Coordinator {
    /**
     * Runs one transaction over {@code participants} (which may include the coordinator's own
     * node). Completes with the outcome and the first ABORT reason, never exceptionally for a
     * participant's failure.
     */
    CompletableFuture<Result> execute(TxKind kind, String room, Set<NodeId> participants);
  }

  /** Outcome plus the reason of the first ABORT (empty when committed). */
  record Result(Outcome outcome, String reason) {}

  /** A resource manager that takes part in transactions of one {@link TxKind}. */
  interface Participant {
    /** Votes; after READY the resource is held until commit or rollback. */
    CompletionStage<Vote> prepare(Transaction tx);

    /** Applies the transaction. */
    void commit(Transaction tx);

    /** Releases what prepare held. Also called for transactions never prepared here (no-op). */
    void rollback(Transaction tx);
  }
}
