package io.chatmesh.twopc;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * The two-phase commit contract the node engine runs its cluster-wide decisions on: reserving a
 * room name on every live node ({@link Kind#RESERVE_NAME}) and deleting a room on every node with
 * members ({@link Kind#DELETE_ROOM}). A {@link Coordinator} runs a transaction over a set of nodes;
 * on each node a {@link Participant} registered for the transaction's kind votes and then commits
 * or rolls back. The exact rules (presumed abort, in-doubt handling) are in the package
 * documentation.
 *
 * <p>Messages between nodes are the transport's business: this package knows nothing of the wire
 * format, the engine maps these types at the wire boundary.
 *
 * <p>Thread-safety: the nested records are immutable values. A {@link Coordinator} is thread-safe
 * ({@code execute} may be called from any thread). The engine calls every {@link Participant}
 * method on one thread at a time (its node lane), so a participant needs no locks of its own; a
 * participant may complete its vote later on another thread.
 */
public interface TwoPhaseCommit {

  /** What a transaction does; decides which {@link Participant} votes on it. */
  enum Kind {
    /** Reserve a room name on every live node before creating the room (unique names). */
    RESERVE_NAME,
    /** Delete a room on every node with members. */
    DELETE_ROOM
  }

  /**
   * One transaction.
   *
   * @param id unique id (the coordinator's node id, incarnation and a counter)
   * @param kind what it does
   * @param room the room (name) it concerns; empty when a rollback names only the id
   * @param coordinator the node that runs it
   * @param replicas for {@link Kind#RESERVE_NAME} with failover: the new room's replica set chosen
   *     by the coordinator (itself first); its members become the room's replicas when the
   *     reservation commits. Empty otherwise (and from a coordinator of an older version).
   */
  record Transaction(String id, Kind kind, String room, NodeId coordinator, List<NodeId> replicas) {
    /**
     * Copies {@code replicas}.
     *
     * @param id unique id (the coordinator's node id, incarnation and a counter)
     * @param kind what it does
     * @param room the room (name) it concerns; empty when a rollback names only the id
     * @param coordinator the node that runs it
     * @param replicas the new room's replica set, or empty
     */
    public Transaction {
      replicas = List.copyOf(replicas);
    }

    /**
     * A transaction carrying no replica set.
     *
     * @param id unique id (the coordinator's node id, incarnation and a counter)
     * @param kind what it does
     * @param room the room (name) it concerns; empty when a rollback names only the id
     * @param coordinator the node that runs it
     */
    public Transaction(String id, Kind kind, String room, NodeId coordinator) {
      this(id, kind, room, coordinator, List.of());
    }
  }

  /**
   * A participant's vote: READY, or ABORT with an error code and a detail saying why.
   *
   * @param ready true for READY
   * @param code why the participant voted ABORT; null exactly for READY
   * @param detail human-readable reason; empty for READY
   */
  record Vote(boolean ready, @Nullable ErrorCode code, String detail) {
    /**
     * Checks that READY has no code and ABORT has one.
     *
     * @param ready true for READY
     * @param code the ABORT vote's code; null exactly for READY
     * @param detail human-readable reason; empty for READY
     * @throws IllegalArgumentException if {@code ready} and {@code code} disagree
     */
    public Vote {
      Objects.requireNonNull(detail, "detail");
      if (ready != (code == null)) {
        throw new IllegalArgumentException(ready ? "a READY vote has no error code" : "an ABORT vote needs an error code");
      }
    }

    /**
     * A READY vote.
     *
     * @return READY, with no code and an empty detail
     */
    public static Vote readyVote() {
      return new Vote(true, null, "");
    }

    /**
     * ABORT, saying why.
     *
     * @param code why, as an error code the caller gets back
     * @param detail why, for people
     * @return an ABORT vote
     */
    public static Vote abort(ErrorCode code, String detail) {
      return new Vote(false, Objects.requireNonNull(code, "code"), detail);
    }
  }

  /** The outcome of a transaction. */
  enum Outcome {
    /** Every participant voted READY and was told to commit. */
    COMMITTED,
    /** Some participant voted ABORT or did not answer; every participant was told to roll back. */
    ROLLED_BACK
  }

  /** Runs transactions. Thread-safe. */
  interface Coordinator {
    /**
     * Runs one transaction over {@code participants} (which may include the coordinator's own
     * node). Completes with the outcome and the first ABORT reason, never exceptionally for a
     * participant's failure.
     *
     * @param kind what the transaction does
     * @param room the room (name) it concerns
     * @param participants the nodes that vote
     * @return the result, once every participant voted, the prepare timeout passed, or a
     *     participant was declared dead
     */
    CompletableFuture<Result> execute(Kind kind, String room, Set<NodeId> participants);
  }

  /**
   * Outcome plus why it rolled back.
   *
   * @param outcome committed or rolled back
   * @param code the first ABORT vote's code; null when committed, and when the coordinator rolled
   *     back on its own (a vote missing at the timeout, a participant declared dead)
   * @param reason the first ABORT vote's detail, or what the coordinator saw; empty when committed
   */
  record Result(Outcome outcome, @Nullable ErrorCode code, String reason) {
    /**
     * A committed result.
     *
     * @return COMMITTED, with no code and an empty reason
     */
    public static Result committed() {
      return new Result(Outcome.COMMITTED, null, "");
    }

    /**
     * The failure a rolled-back transaction means to the caller: the ABORT vote's code and detail,
     * or {@code fallback} with {@code context} when no participant gave a code.
     *
     * @param fallback the code to use when no participant gave one
     * @param context what was being done, prefixed to the reason
     * @return the exception to complete the caller's future with
     */
    public ChatException failure(ErrorCode fallback, String context) {
      return code != null ? new ChatException(code, reason) : new ChatException(fallback, context + ": " + reason);
    }
  }

  /** A resource manager that takes part in transactions of one {@link Kind}. */
  interface Participant {
    /**
     * Votes; after READY the resource is held until commit or rollback.
     *
     * @param tx the transaction
     * @return the vote, possibly completed later
     */
    CompletionStage<Vote> prepare(Transaction tx);

    /**
     * Applies the transaction.
     *
     * @param tx the transaction
     */
    void commit(Transaction tx);

    /**
     * Releases what prepare held. Also called for transactions never prepared here (no-op).
     *
     * @param tx the transaction
     */
    void rollback(Transaction tx);
  }
}
