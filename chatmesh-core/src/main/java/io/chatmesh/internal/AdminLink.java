package io.chatmesh.internal;

import io.chatmesh.NodeId;
import io.chatmesh.wire.HistoryReply;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.WireMessage;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.function.LongFunction;
import org.jspecify.annotations.Nullable;

/**
 * A member role's requests to its room's admin node: each is sent through {@link PendingRequests}
 * (resent until answered, failed with TIMEOUT at the deadline), its continuation runs on the room's
 * lane, and it counts as in flight until then (a deletion PREPARE is refused while any is). Each
 * request goes to the admin of the moment it is sent (it changes on failover); a request in flight
 * to an admin that died fails when that node is declared down. Not thread-safe:
 * used on the room's lane only.
 */
final class AdminLink {
  private final PendingRequests requests;
  private final Supplier<NodeId> admin;
  private final BiConsumer<NodeId, WireMessage> wire;
  private final Executor lane;
  private final Runnable afterAnswer;
  private int inFlight;

  /**
   * @param admin the room's admin now (read when a request is sent: it changes on failover)
   * @param wire sends a message to a node
   * @param lane the room's lane, on which continuations run
   * @param afterAnswer runs on the lane after each continuation (the room may then hold nothing)
   */
  AdminLink(PendingRequests requests, Supplier<NodeId> admin, BiConsumer<NodeId, WireMessage> wire, Executor lane, Runnable afterAnswer) {
    this.requests = requests;
    this.admin = admin;
    this.wire = wire;
    this.lane = lane;
    this.afterAnswer = afterAnswer;
  }

  /** Requests sent and not answered (or failed) yet. */
  int inFlight() {
    return inFlight;
  }

  /** Sends a request answered by a {@link Reply}; the continuation runs on the lane. */
  void forward(LongFunction<WireMessage> build, BiConsumer<@Nullable Reply, @Nullable Throwable> then) {
    ask(Reply.class, build, then);
  }

  /** Sends a history read (also when the admin is this node); the continuation runs on the lane. */
  void request(LongFunction<WireMessage> build, BiConsumer<@Nullable HistoryReply, @Nullable Throwable> then) {
    ask(HistoryReply.class, build, then);
  }

  /** Sends a request expecting an answer of {@code type}; counts it in flight until it is answered. */
  private <R extends WireMessage> void ask(
      Class<R> type, LongFunction<WireMessage> build, BiConsumer<@Nullable R, @Nullable Throwable> then) {
    inFlight++;
    NodeId to = admin.get();
    requests
        .send(to, type, build, m -> wire.accept(to, m))
        .whenComplete((r, e) -> lane.execute(() -> {
          inFlight--;
          then.accept(r, e);
          afterAnswer.run();
        }));
  }
}
