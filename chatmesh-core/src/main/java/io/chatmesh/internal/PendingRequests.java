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
 * Requests to other nodes awaiting a {@link Reply}: resent with the same id every retry interval
 * (the admin handles every request idempotently) and failed with TIMEOUT at the deadline.
 */
final class PendingRequests {
  private final ChatClock clock;
  private final Duration timeout;
  private final Duration retryInterval;
  private final AtomicLong ids = new AtomicLong();
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();

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
    long id = ids.incrementAndGet();
    WireMessage msg = build.apply(id);
    Pending p = new Pending(id, target, msg, send, new CompletableFuture<>(), clock.millis() + timeout.toMillis());
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
    Pending p = pending.get(reply.requestId());
    if (p != null) {
      p.future.complete(reply);
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

  private void arm(Pending p) {
    long now = clock.millis();
    long wait = Math.min(retryInterval.toMillis(), Math.max(0, p.deadline - now));
    p.timer = clock.schedule(Duration.ofMillis(wait), () -> tick(p));
  }

  private void tick(Pending p) {
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

  private static final class Pending {
    final long id;
    final NodeId target;
    final WireMessage message;
    final Consumer<WireMessage> send;
    final CompletableFuture<Reply> future;
    final long deadline;
    volatile ChatClock.Cancellable timer = () -> {};

    Pending(long id, NodeId target, WireMessage message, Consumer<WireMessage> send, CompletableFuture<Reply> future, long deadline) {
      this.id = id;
      this.target = target;
      this.message = message;
      this.send = send;
      this.future = future;
      this.deadline = deadline;
    }

    void cancelTimer() {
      timer.cancel();
    }
  }
}
