package io.chatmesh.internal;

import io.chatmesh.NodeId;
import io.chatmesh.wire.ReplicaAck;
import io.chatmesh.wire.Replicate;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.WireMessage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The admin's side of replication (with {@link io.chatmesh.Failover}): sends every sequenced entry
 * to the room's other replicas, tracks what each holds ({@link ReplicaAck}), and says up to which
 * seq a majority of the replica set holds the log ({@link #replicatedUpTo()}), which the {@link
 * AppendPipeline} waits for before it releases an entry. The admin counts as one holder: the
 * pipeline also waits for its own store.
 *
 * <p>A replica that fell behind (lost messages, restarted) is sent what it misses from the admin's
 * {@link ResendBuffer} on the next {@link #tick()}, or, further back, from the admin's store
 * ({@link Host#readLog}). With a shared store or {@code ackOnAdmin} the pipeline does not wait
 * ({@link #replicatedUpTo()} is unbounded), and replicas still get everything.
 *
 * <p>Not thread-safe: used on the room's lane only.
 */
final class Replication {
  /** The most entries sent to one replica in one catch-up message. */
  static final int CATCH_UP_BATCH = 500;

  /** How replication reaches the network and the admin's log. */
  interface Host {
    void send(NodeId to, WireMessage m);

    /** Sequenced entries {@code from..to} still in the resend buffer, ascending, at most {@code max}. */
    List<Sequenced> buffered(long from, long to, int max);

    /** The oldest seq in the resend buffer (0 if empty). */
    long oldestBuffered();

    /** Reads up to {@code max} entries after {@code afterSeq} from the admin's store off the lane; {@code then} runs on the lane. */
    void readLog(long afterSeq, int max, Consumer<List<Sequenced>> then);

    /** The committed seq (released and held by a majority), which replicas are told. */
    long committed();

    /** The highest seq sequenced. */
    long last();
  }

  private final String room;
  private final long epoch;
  private final List<NodeId> replicas;
  private final boolean waitForReplicas;
  private final Host host;
  /** Per other replica: the highest seq it acknowledged of this admin's log; -1 until its first answer. */
  private final Map<NodeId, Long> match = new LinkedHashMap<>();
  /** Per other replica: a catch-up read from the store in progress. */
  private final Map<NodeId, Boolean> reading = new LinkedHashMap<>();
  /** Per other replica: the highest seq sent to it. */
  private final Map<NodeId, Long> sentUpTo = new LinkedHashMap<>();
  /** Per other replica: its acknowledged seq at the previous tick (a replica that did not move is caught up). */
  private final Map<NodeId, Long> matchAtTick = new LinkedHashMap<>();
  /** Replicas a catch-up was sent to since their last progress (no second one until they move or a tick passes). */
  private final java.util.Set<NodeId> catchingUp = new java.util.HashSet<>();
  private long replicatedUpTo;
  /** The last seq of the log this admin started from (0 for a new room; the adopted tail after a takeover). */
  private long epochStart;

  /**
   * @param replicas the replica set, {@code self} included
   * @param waitForReplicas whether releases wait for a majority (false with a shared store or acks on the admin)
   */
  /** Whether entries are released (acked) only once a majority of the replica set holds them. */
  boolean waitsForReplicas() {
    return waitForReplicas;
  }

  Replication(String room, NodeId self, long epoch, List<NodeId> replicas, boolean waitForReplicas, Host host) {
    this.room = room;
    this.epoch = epoch;
    this.replicas = List.copyOf(replicas);
    this.waitForReplicas = waitForReplicas;
    this.host = host;
    for (NodeId n : replicas) {
      if (!n.equals(self)) {
        match.put(n, -1L);
      }
    }
  }

  /** The replica set, the admin included. */
  List<NodeId> replicas() {
    return replicas;
  }

  /** How many of the replica set must hold an entry before it is released. */
  int majority() {
    return commitQuorum(replicas.size());
  }

  /**
   * How many of a replica set of {@code n} (the admin included) must hold an entry before it is
   * released (committed): a majority, {@code n / 2 + 1}. A takeover's quorum of tails is sized
   * against it ({@link Takeover}).
   */
  static int commitQuorum(int n) {
    return n / 2 + 1;
  }

  /** The highest seq a majority holds (unbounded when releases need not wait). */
  long replicatedUpTo() {
    return waitForReplicas ? replicatedUpTo : Long.MAX_VALUE;
  }

  /**
   * The highest seq a majority of the replica set holds as far as the acks tell, also when releases
   * do not wait for it (acks on the admin): what this admin may call committed.
   */
  long heldByMajority() {
    return replicatedUpTo;
  }

  /**
   * Continues a log (a takeover or restart): everything up to {@code committed} is known to be held
   * by a majority; the entries up to {@code lastSeq} (the adopted tail) are replicated again and
   * count once a majority acknowledges them.
   */
  void restoredAt(long committed, long lastSeq) {
    replicatedUpTo = Math.max(replicatedUpTo, committed);
    epochStart = lastSeq;
  }

  /** Sends a just sequenced entry to every other replica. */
  void sent(Sequenced e) {
    if (match.isEmpty()) {
      replicatedUpTo = e.seq();
      return;
    }
    Replicate r = new Replicate(room, epoch, replicas, host.committed(), epochStart, List.of(e));
    for (NodeId n : match.keySet()) {
      host.send(n, r);
      sentUpTo.put(n, e.seq());
    }
  }

  /**
   * A replica's answer. Returns true when {@link #replicatedUpTo()} advanced. A refusal (a newer
   * epoch promised) is the caller's to handle before calling this.
   */
  boolean onAck(NodeId from, ReplicaAck a) {
    Long had = match.get(from);
    if (had == null || a.epoch() != epoch) {
      return false;
    }
    // may go down: it truncated to its committed seq on this admin's first message, or restarted
    match.put(from, a.lastSeq());
    if (a.lastSeq() > had) {
      catchingUp.remove(from);
    } else if (a.lastSeq() < sentUpTo.getOrDefault(from, 0L) && catchingUp.add(from)) {
      // no progress although more was sent: it dropped entries after a gap (it truncated, lost a
      // message, or restarted); acks that merely lag behind in-flight entries always advance
      catchUp(from, a.lastSeq());
    }
    return recompute();
  }

  /** Every few heartbeats: tells every replica the admin is alive and committed, and helps laggards. */
  void tick() {
    long last = host.last();
    for (Map.Entry<NodeId, Long> m : match.entrySet()) {
      NodeId n = m.getKey();
      long at = m.getValue();
      Long before = matchAtTick.put(n, at);
      if (at >= 0 && at < last && before != null && before == at) {
        catchingUp.remove(n);
        catchUp(n, at); // stalled since the last tick: lost messages, or far behind
      } else if (at >= last || at < 0) {
        host.send(m.getKey(), new Replicate(room, epoch, replicas, host.committed(), epochStart, List.of()));
      }
    }
  }

  /** A seq-by-seq view for logs and tests: replica -> acknowledged seq. */
  Map<NodeId, Long> progress() {
    return Map.copyOf(match);
  }

  private void catchUp(NodeId to, long has) {
    long last = host.last();
    if (has >= last) {
      return;
    }
    long oldest = host.oldestBuffered();
    if (oldest > 0 && has + 1 >= oldest) {
      List<Sequenced> batch = host.buffered(has + 1, last, CATCH_UP_BATCH);
      host.send(to, new Replicate(room, epoch, replicas, host.committed(), epochStart, batch));
      if (!batch.isEmpty()) {
        sentUpTo.merge(to, batch.get(batch.size() - 1).seq(), Math::max);
      }
      return;
    }
    if (reading.putIfAbsent(to, Boolean.TRUE) != null) {
      return;
    }
    host.readLog(has, CATCH_UP_BATCH, entries -> {
      reading.remove(to);
      host.send(to, new Replicate(room, epoch, replicas, host.committed(), epochStart, entries));
    });
  }

  private boolean recompute() {
    long[] seqs = new long[match.size()];
    int i = 0;
    for (long s : match.values()) {
      seqs[i++] = Math.max(0, s);
    }
    Arrays.sort(seqs);
    // the admin holds everything; (majority - 1) others must hold a seq for it to be replicated
    int others = majority() - 1;
    long up = others == 0 ? host.last() : seqs[seqs.length - others];
    if (up > replicatedUpTo) {
      replicatedUpTo = up;
      return true;
    }
    return false;
  }

  /** Picks a new room's replica set: {@code self} plus {@code rf - 1} of {@code live}, spread by room name. */
  static List<NodeId> choose(String room, NodeId self, List<NodeId> live, int rf) {
    List<NodeId> others = new ArrayList<>();
    for (NodeId n : live) {
      if (!n.equals(self)) {
        others.add(n);
      }
    }
    others.sort((a, b) -> {
      int ha = Integer.rotateLeft((room + "/" + a.value()).hashCode() * 0x9E3779B9, 7);
      int hb = Integer.rotateLeft((room + "/" + b.value()).hashCode() * 0x9E3779B9, 7);
      return ha != hb ? Integer.compare(ha, hb) : a.compareTo(b);
    });
    List<NodeId> set = new ArrayList<>();
    set.add(self);
    for (int i = 0; i < others.size() && set.size() < rf; i++) {
      set.add(others.get(i));
    }
    return set;
  }
}
