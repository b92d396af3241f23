package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.time.ChatClock;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.WireMessage;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * Requests to other nodes awaiting a {@link Reply} (or another answer type, e.g. {@link
 * io.chatmesh.wire.HistoryReply}): resent with the same id every retry interval
 * (the admin handles every request idempotently) and failed with TIMEOUT at the deadline.
 */
final class PendingRequests {
  private final ChatClock clock;
  private final Duration timeout;
  private final Duration retryInterval;
  private final AtomicLong ids = new AtomicLong();
  private final Map<Long, Pending<?>> pending = new ConcurrentHashMap<>();

  PendingRequests(ChatClock clock, Duration timeout) {
    this.clock = clock;
    this.timeout = timeout;
    long retry = Math.max(20, timeout.toMillis() / 8);
    this.retryInterval = Duration.ofMillis(retry);
  }

  /**
   * Sends the message built for a fresh request id to {@code target} via {@code send} until a
   * reply arrives or the deadline passes.
   */
  CompletableFuture<Reply> send(NodeId target, LongFunction<WireMessage> build, Consumer<WireMessage> send) {
    return send(target, Reply.class, build, send);
  }

  /** Like {@link #send(NodeId, LongFunction, Consumer)} for a request answered by a {@code type}. */
  <R extends WireMessage> CompletableFuture<R> send(
      NodeId target, Class<R> type, LongFunction<WireMessage> build, Consumer<WireMessage> send) {
    long id = ids.incrementAndGet();
    WireMessage msg = build.apply(id);
    Pending<R> p = new Pending<>(id, target, type, msg, send, new CompletableFuture<>(), clock.millis() + timeout.toMillis());
    pending.put(id, p);
    p.future.whenComplete((r, e) -> {
      pending.remove(id);
      p.cancelTimer();
    });
    send.accept(msg);
    arm(p);
    return p.future;
  }

  long retryIntervalMillis() {
    return retryInterval.toMillis();
  }

  void onReply(Reply reply) {
    onReply(reply.requestId(), reply);
  }

  /** Completes request {@code requestId} with {@code answer} if it awaits an answer of that type. */
  void onReply(long requestId, WireMessage answer) {
    Pending<?> p = pending.get(requestId);
    if (p != null) {
      p.complete(answer);
    }
  }

  /** Fails every request to {@code target} (it was declared dead). */
  void failAll(NodeId target, ChatException error) {
    pending.values().forEach(p -> {
      if (p.target.equals(target)) {
        p.future.completeExceptionally(error);
      }
    });
  }

  /** Fails everything (the node is closing). */
  void failAll(ChatException error) {
    pending.values().forEach(p -> p.future.completeExceptionally(error));
  }

  private void arm(Pending<?> p) {
    long now = clock.millis();
    long wait = Math.min(retryInterval.toMillis(), Math.max(0, p.deadline - now));
    p.timer = clock.schedule(Duration.ofMillis(wait), () -> tick(p));
  }

  private void tick(Pending<?> p) {
    if (p.future.isDone()) {
      return;
    }
    if (clock.millis() >= p.deadline) {
      p.future.completeExceptionally(
          new ChatException(
              ErrorCode.TIMEOUT, "no answer from node " + p.target + " within " + timeout.toMillis() + " ms"));
      return;
    }
    p.send.accept(p.message);
    arm(p);
  }

  private static final class Pending<R extends WireMessage> {
    final long id;
    final NodeId target;
    final Class<R> type;
    final WireMessage message;
    final Consumer<WireMessage> send;
    final CompletableFuture<R> future;
    final long deadline;
    volatile ChatClock.Cancellable timer = () -> {};

    Pending(
        long id, NodeId target, Class<R> type, WireMessage message, Consumer<WireMessage> send, CompletableFuture<R> future, long deadline) {
      this.id = id;
      this.target = target;
      this.type = type;
      this.message = message;
      this.send = send;
      this.future = future;
      this.deadline = deadline;
    }

    void complete(WireMessage answer) {
      if (type.isInstance(answer)) {
        future.complete(type.cast(answer));
      } else if (answer instanceof Reply r && r.error() != null) {
        // a generic refusal (e.g. UNKNOWN_ROOM) of a request that expects another answer type
        future.completeExceptionally(new ChatException(r.error(), r.message()));
      }
    }

    void cancelTimer() {
      timer.cancel();
    }
  }
}
