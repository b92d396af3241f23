package io.chatmesh.internal;

import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.SendRequest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Flow control of one room's sends on its admin: while the transport reports a member node's link
 * as congested, sends are held here in arrival order instead of being sequenced and broadcast into
 * a link that would have to drop them; they are sequenced when every member link takes traffic
 * again (re-checked through {@link Host#later}). The senders' futures (and the forwarders'
 * windows) wait meanwhile, which slows the senders down. Past {@code max} held sends a send is
 * refused UNAVAILABLE. A forwarder's retry of a held request is not held twice. Not thread-safe:
 * used on the room's lane only.
 */
final class SendHold {
  /** What the hold needs from its room's admin role. */
  interface Host {
    /** Whether the link to some member node is congested now. */
    boolean congested();

    /** Sequences {@code r} now (it checks again whether the room takes it). */
    void sendNow(NodeId from, SendRequest r, Consumer<Reply> reply);

    /** The refusal of a held send when the room can no longer sequence it (deleted, not admin); else null. */
    @Nullable Reply refusal(long requestId);

    /** Runs {@code task} on the lane after a short pause. */
    void later(Runnable task);
  }

  private final String room;
  private final NodeId self;
  private final int max;
  private final LongAdder heldCount;
  private final Host host;
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  private final Set<Key> keys = new HashSet<>();
  private boolean recheckScheduled;

  /**
   * @param heldCount counts every send held (a metric)
   */
  SendHold(String room, NodeId self, int max, LongAdder heldCount, Host host) {
    this.room = room;
    this.self = self;
    this.max = max;
    this.heldCount = heldCount;
    this.host = host;
  }

  /** Sequences {@code r} now if nothing is held and no member link is congested; holds it otherwise. */
  void submit(NodeId from, SendRequest r, Consumer<Reply> reply) {
    if (held.isEmpty() && !host.congested()) {
      host.sendNow(from, r, reply);
      return;
    }
    // a forwarder's retry of a request already held is answered when the original is sequenced;
    // local sends are never retried by the engine, each has its own future: hold every one
    boolean remote = !from.equals(self);
    if (remote && !keys.add(new Key(from, r.requestId(), r.clientMessageId()))) {
      return;
    }
    if (held.size() >= max) {
      if (remote) {
        keys.remove(new Key(from, r.requestId(), r.clientMessageId()));
      }
      reply.accept(
          Reply.error(
              r.requestId(),
              ErrorCode.UNAVAILABLE,
              "the admin of room '" + room + "' holds " + held.size()
                  + " sends while a member node's link is congested; slow down and retry"));
      return;
    }
    held.add(new Held(from, r, reply));
    heldCount.increment();
    scheduleRecheck();
  }

  boolean isEmpty() {
    return held.isEmpty();
  }

  int size() {
    return held.size();
  }

  /** Answers every held send with {@code refusal} of its request id, and holds nothing any more. */
  void failAll(LongFunction<Reply> refusal) {
    List<Held> drop = new ArrayList<>(held);
    held.clear();
    keys.clear();
    for (Held h : drop) {
      h.reply.accept(refusal.apply(h.request.requestId()));
    }
  }

  private void scheduleRecheck() {
    if (!recheckScheduled) {
      recheckScheduled = true;
      host.later(this::release);
    }
  }

  /** Sequences held sends, oldest first, while no member link is congested. */
  private void release() {
    recheckScheduled = false;
    if (!held.isEmpty() && host.refusal(0) != null) {
      failAll(host::refusal);
      return;
    }
    while (!held.isEmpty() && !host.congested()) {
      Held h = held.poll();
      keys.remove(new Key(h.from, h.request.requestId(), h.request.clientMessageId()));
      host.sendNow(h.from, h.request, h.reply); // checks again: still admin, member, not deleting
    }
    if (!held.isEmpty()) {
      scheduleRecheck();
    }
  }

  private record Held(NodeId from, SendRequest request, Consumer<Reply> reply) {}

  private record Key(NodeId from, long requestId, String clientMessageId) {}
}
