package io.chatmesh.internal;

import io.chatmesh.ErrorCode;
import io.chatmesh.metrics.MetricsObserver;
import io.chatmesh.twopc.TwoPhaseCommit;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The counters of one node, recorded where things happen in the engine: {@link LongAdder}s (cheap
 * under contention, no allocation) read into a {@link io.chatmesh.metrics.NodeMetricsSnapshot} by
 * {@link NodeEngine#metrics()}, and latencies passed on to the registered {@link MetricsObserver}s.
 * Thread-safe. Internal.
 */
final class NodeMetrics {
  private static final Logger log = LoggerFactory.getLogger(NodeMetrics.class);
  private static final ErrorCode[] CODES = ErrorCode.values();

  final LongAdder suspicions = new LongAdder();
  /** Rooms this node took over from a failed admin (with failover). */
  final LongAdder failovers = new LongAdder();
  final LongAdder sendsAccepted = new LongAdder();
  private final LongAdder[] sendsRefused = new LongAdder[CODES.length];
  final LongAdder deliveries = new LongAdder();
  final LongAdder resendRequests = new LongAdder();
  final LongAdder entriesResent = new LongAdder();
  final LongAdder messagesLost = new LongAdder();
  final LongAdder dedupHits = new LongAdder();
  final LongAdder twoPcCommitted = new LongAdder();
  final LongAdder twoPcRolledBack = new LongAdder();
  /** Entries sequenced and not yet appended (added on sequencing, removed on release or fencing). */
  final LongAdder historyBacklog = new LongAdder();
  /** Administered rooms whose store currently fails (+1 when one starts failing, -1 when it recovers). */
  final LongAdder roomsStoreFailing = new LongAdder();
  final LongAdder sendsHeld = new LongAdder();
  final LongAdder sendsWaited = new LongAdder();
  private volatile MetricsObserver[] observers = new MetricsObserver[0];

  NodeMetrics() {
    for (int i = 0; i < sendsRefused.length; i++) {
      sendsRefused[i] = new LongAdder();
    }
  }

  synchronized void addObserver(MetricsObserver o) {
    MetricsObserver[] next = Arrays.copyOf(observers, observers.length + 1);
    next[next.length - 1] = o;
    observers = next;
  }

  void sendRefused(ErrorCode code) {
    sendsRefused[code.ordinal()].increment();
  }

  Map<ErrorCode, Long> sendsRefused() {
    EnumMap<ErrorCode, Long> m = new EnumMap<>(ErrorCode.class);
    for (ErrorCode c : CODES) {
      m.put(c, sendsRefused[c.ordinal()].sum());
    }
    return m;
  }

  void twoPc(TwoPhaseCommit.Result r) {
    (r.outcome() == TwoPhaseCommit.Outcome.COMMITTED ? twoPcCommitted : twoPcRolledBack).increment();
  }

  void sequenced(long nanos) {
    for (MetricsObserver o : observers) {
      try {
        o.sequenced(nanos);
      } catch (RuntimeException e) {
        failed(o, e);
      }
    }
  }

  void sendAcknowledged(long nanos) {
    for (MetricsObserver o : observers) {
      try {
        o.sendAcknowledged(nanos);
      } catch (RuntimeException e) {
        failed(o, e);
      }
    }
  }

  void historyAppended(int entries, long nanos) {
    for (MetricsObserver o : observers) {
      try {
        o.historyAppended(entries, nanos);
      } catch (RuntimeException e) {
        failed(o, e);
      }
    }
  }

  private static void failed(MetricsObserver o, RuntimeException e) {
    log.warn("metrics observer {} failed", o, e);
  }
}
