package io.chatmesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chatmesh.ChatException;
import io.chatmesh.ChatNode;
import io.chatmesh.Room;
import io.chatmesh.time.ManualClock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * Waits for cluster conditions while moving a shared {@link ManualClock} forward by 20 ms per poll,
 * so timers (heartbeats, retries, timeouts) fire without any test sleeping. Shared by the abstract
 * suites.
 */
public final class ClockDriver {
  private static final Duration STEP = Duration.ofMillis(20);

  private final ManualClock clock;
  private final Duration atMost;
  private final Duration pollInterval;

  /** Polls every {@code pollInterval}, failing after {@code atMost} of real time. */
  public ClockDriver(ManualClock clock, Duration atMost, Duration pollInterval) {
    this.clock = clock;
    this.atMost = atMost;
    this.pollInterval = pollInterval;
  }

  /** Polls {@code condition}, advancing the clock by 20 ms each time it is false. */
  public void awaitUntil(String what, BooleanSupplier condition) {
    if (condition.getAsBoolean()) {
      return; // Awaitility would first wait one poll interval even for a condition already true
    }
    await(what)
        .atMost(atMost)
        .pollInterval(pollInterval)
        .until(() -> {
          if (condition.getAsBoolean()) {
            return true;
          }
          clock.advance(STEP);
          return false;
        });
  }

  /** Waits for a future while advancing the clock (so retries and timeouts can fire). */
  public <T> T result(CompletableFuture<T> f) {
    awaitUntil("future completes", f::isDone);
    return f.join();
  }

  /** Waits for a future to fail and returns its ChatException. */
  public ChatException failure(CompletableFuture<?> f) {
    awaitUntil("future completes", f::isDone);
    assertThat(f).isCompletedExceptionally();
    AtomicReference<ChatException> out = new AtomicReference<>();
    f.handle((v, e) -> {
      out.set(ChatException.from(e));
      return null;
    }).join();
    return out.get();
  }

  /** The room handle once {@code node} knows the room. */
  public Room room(ChatNode node, String name) {
    awaitUntil(node.id() + " knows room " + name, () -> node.room(name).isPresent());
    return node.room(name).orElseThrow();
  }
}
