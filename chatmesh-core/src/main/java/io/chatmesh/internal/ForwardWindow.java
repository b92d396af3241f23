package io.chatmesh.internal;

import io.chatmesh.Sent;
import io.chatmesh.UserId;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * Flow control of one room's sends on a member node (a node that is not the room's admin): at most
 * {@code maxInFlight} sends are forwarded to the admin at a time, and none while the transport
 * reports the link to the admin as congested; later sends wait here in the order the users made
 * them and go out as answers come back or the link drains, so a burst becomes latency at the
 * sender instead of an overflowing link. Past {@code maxWaiting} waiting sends, {@link #offer}
 * says {@link Offer#FULL}. Not thread-safe: used on the room's lane only.
 */
final class ForwardWindow {
  /** A send a user made through this node. */
  record Send(UserId user, String text, String clientMessageId, CompletableFuture<Sent> out, long started) {}

  /** What the window needs from its room. */
  interface Outlet {
    /** Whether the link to the admin takes traffic now. */
    boolean linkWritable();

    /** Whether the room still takes {@code s}; if not, {@code s} has been failed and is dropped. */
    boolean stillUsable(Send s);

    /** Forwards {@code s} to the admin; its answer must call {@link #answered}, then {@link #pump}. */
    void forward(Send s);

    /** Runs {@code task} on the lane after a short pause (the link is re-checked then). */
    void later(Runnable task);

    /** No send is waiting any more (the room may have nothing left to hold). */
    void emptied();
  }

  /** What {@link #offer} did with a send. */
  enum Offer {
    FORWARDED,
    WAITING,
    FULL
  }

  private final int maxInFlight;
  private final int maxWaiting;
  private final Outlet outlet;
  private final ArrayDeque<Send> waiting = new ArrayDeque<>();
  private int inFlight;
  private boolean recheckScheduled;

  ForwardWindow(int maxInFlight, int maxWaiting, Outlet outlet) {
    this.maxInFlight = maxInFlight;
    this.maxWaiting = maxWaiting;
    this.outlet = outlet;
  }

  /** Forwards {@code s} if the window has room and nothing waits before it, else queues it (or is full). */
  Offer offer(Send s) {
    if (inFlight < maxInFlight && waiting.isEmpty() && outlet.linkWritable()) {
      forwardNow(s);
      return Offer.FORWARDED;
    }
    if (waiting.size() >= maxWaiting) {
      return Offer.FULL;
    }
    waiting.add(s);
    if (inFlight < maxInFlight) {
      scheduleRecheck(); // waiting for the link, not for answers: nothing else would pump
    }
    return Offer.WAITING;
  }

  /** A forwarded send was answered: its slot is free. */
  void answered() {
    inFlight--;
  }

  /** Forwards waiting sends while the window has room; drops those the room no longer takes. */
  void pump() {
    while (!waiting.isEmpty()) {
      Send w = waiting.peek();
      if (!outlet.stillUsable(w)) { // failed it: room deleted, admin unreachable
        waiting.poll();
        continue;
      }
      if (inFlight >= maxInFlight) {
        return; // an answer pumps again
      }
      if (!outlet.linkWritable()) {
        scheduleRecheck();
        return;
      }
      waiting.poll();
      forwardNow(w);
    }
    outlet.emptied();
  }

  int waiting() {
    return waiting.size();
  }

  /**
   * Fails every send still waiting here with {@code error} (the node is closing: nothing would
   * forward them any more). Sends already forwarded are failed with the node's pending requests.
   */
  void failWaiting(Throwable error) {
    while (!waiting.isEmpty()) {
      waiting.poll().out().completeExceptionally(error);
    }
  }

  int inFlight() {
    return inFlight;
  }

  private void forwardNow(Send s) {
    inFlight++;
    outlet.forward(s);
  }

  private void scheduleRecheck() {
    if (!recheckScheduled) {
      recheckScheduled = true;
      outlet.later(() -> {
        recheckScheduled = false;
        pump();
      });
    }
  }
}
