package io.chatmesh.internal;

import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.RoomSummary;
import io.chatmesh.twopc.TwoPhaseCommit;
import io.chatmesh.twopc.TwoPhaseCommit.Transaction;
import io.chatmesh.twopc.TwoPhaseCommit.Vote;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Participant for {@code RESERVE_NAME}: a node votes READY for a name that it neither knows as a
 * room nor holds for another creator. Races are settled by wait-die on node ids: a prepare from a
 * creator with a smaller node id than the current holder waits for the holder's decision; one with
 * a larger id is refused at once. So of two racing creators the one with the smaller id wins, and
 * no two reservations can wait for each other. Runs on the node lane.
 */
final class NameRegistry implements TwoPhaseCommit.Participant {
  private final Function<String, @Nullable RoomSummary> directory;
  private final Consumer<Transaction> onCommit;
  /** Why this node cannot vouch that a name is free (it forgot some node's rooms), or null. */
  private final Supplier<@Nullable String> forgotten;
  /** Whether the missing directories are only those of live peers, worth waiting for. */
  private final BooleanSupplier awaitsLiveDirectories;
  /** The node's clock (millis) and how long a vote waits for live peers' directories. */
  private final LongSupplier now;
  private final long directoryWaitMillis;
  /** Prepares waiting for live peers' directories before voting, by transaction id. */
  private final Map<String, AwaitingDirectories> awaiting = new HashMap<>();
  private final Map<String, Transaction> held = new HashMap<>();
  private final Map<String, List<Waiting>> waiting = new HashMap<>();

  /**
   * {@code directory} looks a room up in the cluster directory; {@code onCommit} runs for each
   * committed name; {@code forgotten} says why this node cannot vouch that a name is free (it has
   * not heard some node's directory since it started), or null when it can: it then votes
   * UNAVAILABLE, not READY.
   */
  NameRegistry(
      Function<String, @Nullable RoomSummary> directory,
      Consumer<Transaction> onCommit,
      Supplier<@Nullable String> forgotten,
      BooleanSupplier awaitsLiveDirectories,
      LongSupplier now,
      long directoryWaitMillis) {
    this.directory = directory;
    this.onCommit = onCommit;
    this.forgotten = forgotten;
    this.awaitsLiveDirectories = awaitsLiveDirectories;
    this.now = now;
    this.directoryWaitMillis = directoryWaitMillis;
  }

  /**
   * A prepare while only live peers' directories are missing (a node that just met them) waits,
   * up to {@code directoryWaitMillis}, for them ({@link #directoriesChanged}) before it votes.
   */
  @Override
  public CompletionStage<Vote> prepare(Transaction tx) {
    if (awaitsLiveDirectories.getAsBoolean()) {
      CompletableFuture<Vote> later = new CompletableFuture<>();
      awaiting.put(tx.id(), new AwaitingDirectories(tx, later, now.getAsLong() + directoryWaitMillis));
      return later;
    }
    return prepareOrWait(tx);
  }

  /** A directory announcement arrived, or a heartbeat passed: waiting prepares vote if they can. */
  void directoriesChanged() {
    if (awaiting.isEmpty()) {
      return;
    }
    boolean wait = awaitsLiveDirectories.getAsBoolean();
    long t = now.getAsLong();
    for (Iterator<AwaitingDirectories> it = awaiting.values().iterator(); it.hasNext(); ) {
      AwaitingDirectories a = it.next();
      if (!wait || t >= a.deadline) {
        it.remove();
        prepareOrWait(a.tx).whenComplete((v, e) -> a.vote.complete(v != null ? v : Vote.abort(ErrorCode.ABORTED, "vote failed")));
      }
    }
  }

  private Vote vote(Transaction tx) {
    RoomSummary existing = directory.apply(tx.room());
    if (existing != null) {
      return Vote.abort(ErrorCode.ROOM_EXISTS, "room '" + tx.room() + "' already exists (admin " + existing.admin() + ")");
    }
    String unknown = forgotten.get();
    if (unknown != null) {
      return Vote.abort(ErrorCode.UNAVAILABLE, unknown + ", so it cannot vote for room name '" + tx.room() + "'");
    }
    Transaction holder = held.get(tx.room());
    if (holder == null || holder.id().equals(tx.id())) {
      held.put(tx.room(), tx);
      return Vote.readyVote();
    }
    return Vote.abort(ErrorCode.ROOM_EXISTS, "room '" + tx.room() + "' is being created by node " + holder.coordinator());
  }

  /** Votes now, or later when a higher-priority creator must wait for the holder (wait-die). */
  private CompletionStage<Vote> prepareOrWait(Transaction tx) {
    Transaction holder = held.get(tx.room());
    if (holder != null
        && !holder.id().equals(tx.id())
        && directory.apply(tx.room()) == null
        && tx.coordinator().compareTo(holder.coordinator()) < 0) {
      CompletableFuture<Vote> later = new CompletableFuture<>();
      waiting.computeIfAbsent(tx.room(), k -> new ArrayList<>()).add(new Waiting(tx, later));
      return later;
    }
    return CompletableFuture.completedFuture(vote(tx));
  }

  @Override
  public void commit(Transaction tx) {
    Transaction holder = held.get(tx.room());
    if (holder != null && holder.id().equals(tx.id())) {
      held.remove(tx.room());
    }
    onCommit.accept(tx);
    release(tx.room());
  }

  @Override
  public void rollback(Transaction tx) {
    AwaitingDirectories a = awaiting.remove(tx.id());
    if (a != null) {
      a.vote.complete(Vote.abort(ErrorCode.ABORTED, "rolled back while waiting for the directories of live peers"));
    }
    // a rollback may name only the id (room unknown): search by id
    for (Iterator<Map.Entry<String, Transaction>> it = held.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Transaction> e = it.next();
      if (e.getValue().id().equals(tx.id())) {
        it.remove();
        release(e.getKey());
        break;
      }
    }
    for (List<Waiting> ws : waiting.values()) {
      for (Iterator<Waiting> it = ws.iterator(); it.hasNext(); ) {
        Waiting w = it.next();
        if (w.tx.id().equals(tx.id())) {
          it.remove();
          w.vote.complete(Vote.abort(ErrorCode.ABORTED, "rolled back while waiting"));
        }
      }
    }
  }

  /** A creator died: its reservations are released (it can no longer commit them). */
  void onNodeDown(NodeId node) {
    for (Transaction t : new ArrayList<>(held.values())) {
      if (t.coordinator().equals(node)) {
        held.remove(t.room());
        release(t.room());
      }
    }
  }

  private void release(String room) {
    List<Waiting> ws = waiting.get(room);
    while (ws != null && !ws.isEmpty() && !held.containsKey(room)) {
      Waiting w = ws.remove(0);
      w.vote.complete(vote(w.tx));
    }
    if (ws != null && ws.isEmpty()) {
      waiting.remove(room);
    }
  }

  private record Waiting(Transaction tx, CompletableFuture<Vote> vote) {}

  private record AwaitingDirectories(Transaction tx, CompletableFuture<Vote> vote, long deadline) {}
}
