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
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * Requests to other nodes awaiting a {@link Reply} (or another answer type, e.g. {@link
 * io.chatmesh.wire.HistoryReply}): resent with the same id every retry interval
 * (the admin handles every request idempotently) and failed with TIMEOUT at the deadline. One
 * periodic sweep drives all of them, so a request costs no timer of its own on the hot path.
 * Request ids are {@link NodeEngine#nextStamp() stamps}: wall-clock microseconds made unique per
 * JVM, so a restarted node's new process never reuses an id of its previous process.
 */
final class PendingRequests {
  private final ChatClock clock;
  private final Duration timeout;
  private final long retryMillis;
  private final Duration sweepInterval;
  private final Map<Long, Pending<?>> pending = new ConcurrentHashMap<>();
  private volatile boolean running;
  private volatile ChatClock.Cancellable sweeper = () -> {};

  PendingRequests(ChatClock clock, Duration timeout) {
    this.clock = clock;
    this.timeout = timeout;
    this.retryMillis = Math.max(20, timeout.toMillis() / 8);
    this.sweepInterval = Duration.ofMillis(Math.max(10, retryMillis / 2));
  }

  void start() {
    running = true;
    arm();
  }

  void stop() {
    running = false;
    sweeper.cancel();
  }

  long retryIntervalMillis() {
    return retryMillis;
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
    // unique across this node's incarnations, not only within one: a reply to a request of the
    // process before a restart, still in flight, must not complete a new request with the same id
    long id = NodeEngine.nextStamp();
    WireMessage msg = build.apply(id);
    long now = clock.millis();
    Pending<R> p = new Pending<>(target, type, msg, send, now + timeout.toMillis(), now);
    pending.put(id, p);
    send.accept(msg);
    return p.future;
  }

  void onReply(Reply reply) {
    onReply(reply.requestId(), reply);
  }

  /** Completes request {@code requestId} with {@code answer}. */
  void onReply(long requestId, WireMessage answer) {
    Pending<?> p = pending.remove(requestId);
    if (p != null) {
      p.complete(answer);
    }
  }

  /** Fails every request to {@code target} (it was declared dead). */
  void failAll(NodeId target, ChatException error) {
    pending.entrySet().removeIf(e -> {
      if (e.getValue().target.equals(target)) {
        e.getValue().future.completeExceptionally(error);
        return true;
      }
      return false;
    });
  }

  /** Fails everything (the node is closing). */
  void failAll(ChatException error) {
    pending.entrySet().removeIf(e -> {
      e.getValue().future.completeExceptionally(error);
      return true;
    });
  }

  private void arm() {
    if (running) {
      sweeper = clock.schedule(sweepInterval, this::sweep);
    }
  }

  private void sweep() {
    long now = clock.millis();
    pending.entrySet().removeIf(e -> {
      Pending<?> p = e.getValue();
      if (now >= p.deadline) {
        p.future.completeExceptionally(
            new ChatException(ErrorCode.TIMEOUT, "no answer from node " + p.target + " within " + timeout.toMillis() + " ms"));
        return true;
      }
      if (now - p.lastSent >= retryMillis) {
        p.lastSent = now;
        p.send.accept(p.message);
      }
      return false;
    });
    arm();
  }

  private static final class Pending<R extends WireMessage> {
    final NodeId target;
    final Class<R> type;
    final WireMessage message;
    final Consumer<WireMessage> send;
    final CompletableFuture<R> future = new CompletableFuture<>();
    final long deadline;
    long lastSent;

    Pending(NodeId target, Class<R> type, WireMessage message, Consumer<WireMessage> send, long deadline, long lastSent) {
      this.target = target;
      this.type = type;
      this.message = message;
      this.send = send;
      this.deadline = deadline;
      this.lastSent = lastSent;
    }

    void complete(WireMessage answer) {
      if (type.isInstance(answer)) {
        future.complete(type.cast(answer));
      } else if (answer instanceof Reply r && r.error() != null) {
        // a generic refusal (e.g. UNKNOWN_ROOM) of a request that expects another answer type
        future.completeExceptionally(new ChatException(r.error(), r.message()));
      } else {
        future.completeExceptionally(
            new ChatException(ErrorCode.INTERNAL, "unexpected answer " + answer.getClass().getSimpleName() + " to a request expecting " + type.getSimpleName()));
      }
    }
  }
}
