package io.chatmesh.bench;

import io.chatmesh.ChatException;
import io.chatmesh.ChatMessage;
import io.chatmesh.ClusterListener;
import io.chatmesh.NodeId;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Part (b) of {@link FailoverBench}: failover time over rounds, a fresh {@link FailoverCluster} per
 * round. Room administered by {@code n0}; members on {@code n1} and {@code n2} send steadily
 * (open loop, alternating); then {@code n0} is crashed ({@link FailoverCluster#crash}) and the round
 * measures, from the crash: both survivors declaring {@code n0} dead, both members' {@code
 * RoomUnavailable}, both members' {@code RoomAvailable} naming a new admin, and the first send acked
 * with an epoch above the old one. Sending goes on through the failover; afterwards every send acked
 * before the crash must be delivered exactly once to each surviving member and be in the new admin's
 * history exactly once. Every wait has a timeout; a round that times out is reported as failed with
 * what it waited for. Not thread-safe: one driver thread.
 */
final class FailoverTime {
  static final String ROOM = "failover";
  private static final int[] SURVIVORS = {1, 2};
  /** {@link Round#historyLostOrDup()} when the round failed before the history could be checked. */
  static final long NOT_CHECKED = -2;

  private final FailoverBench.Options o;
  private final PrintStream out;

  FailoverTime(FailoverBench.Options o, PrintStream out) {
    this.o = o;
    this.out = out;
  }

  /**
   * One round's result; times in milliseconds from the crash (NaN when not seen).
   *
   * @param round 1-based
   * @param detectMs both survivors declared the crashed node dead
   * @param unavailableMs both members got RoomUnavailable
   * @param availableMs both members got RoomAvailable naming a node other than the crashed one
   * @param firstAckMs first send acked with an epoch above the old admin's
   * @param newAdmin the admin RoomAvailable named
   * @param oldEpoch the room's epoch before the crash
   * @param newEpoch the epoch RoomAvailable named
   * @param sent sends made in the round
   * @param acked sends acked
   * @param ackedBeforeCrash sends acked before the crash
   * @param failed sends failed, with their codes in {@code failures}
   * @param failures counts by error code
   * @param lostOrDupBeforeCrash (acked-before-crash send, surviving member) pairs not delivered exactly once
   * @param historyLostOrDup acked-before-crash sends not exactly once in the new admin's history (-1: history failed,
   *     {@link #NOT_CHECKED}: the round failed first)
   * @param lostOrDupAll (acked send, surviving member) pairs not delivered exactly once, over all acked sends
   * @param error empty, or why the round failed
   */
  record Round(int round, double detectMs, double unavailableMs, double availableMs, double firstAckMs, String newAdmin, long oldEpoch,
      long newEpoch, long sent, long acked, long ackedBeforeCrash, long failed, String failures, long lostOrDupBeforeCrash,
      long historyLostOrDup, long lostOrDupAll, String error) {

    boolean ok() {
      return error.isEmpty();
    }

    String row() {
      return String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %s | %d -> %d | %d / %d / %d | %d | %s | %s | %d | %s |", round,
          ms(detectMs), ms(unavailableMs), ms(availableMs), ms(firstAckMs), newAdmin, oldEpoch, newEpoch, sent, acked, failed,
          ackedBeforeCrash, lostOrDupBeforeCrash, historyLostOrDup == NOT_CHECKED ? "not checked" : historyLostOrDup < 0 ? "history failed" : Long.toString(historyLostOrDup), lostOrDupAll,
          (failures.isEmpty() ? "" : "failed: " + failures) + (error.isEmpty() ? "" : (failures.isEmpty() ? "" : "; ") + "**FAILED: " + error + "**"));
    }

    static String header() {
      return "| round | detected (both survivors) | RoomUnavailable (both members) | RoomAvailable (both members) | first ack by new admin | new admin | epoch | sent / acked / failed | acked before crash | not exactly once (deliveries) | not exactly once (new admin's history) | not exactly once (all acked, deliveries) | notes |\n"
          + "|---:|---:|---:|---:|---:|---|---|---|---:|---:|---:|---:|---|";
    }

    private static String ms(double v) {
      return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.0f ms", v);
    }
  }

  /** Runs the rounds; stops at the first failed round unless {@code keepGoing}. */
  List<Round> run() {
    List<Round> rounds = new ArrayList<>();
    for (int k = 1; k <= o.rounds(); k++) {
      Round r;
      try {
        r = round(k);
      } catch (Exception | AssertionError e) {
        r = new Round(k, Double.NaN, Double.NaN, Double.NaN, Double.NaN, "-", 0, 0, 0, 0, 0, 0, "", 0, NOT_CHECKED, 0, "set-up failed: " + e);
      }
      rounds.add(r);
      log("round %d: %s", k, r.row());
      if (!r.ok() && !o.keepGoing()) {
        log("FAILOVER ROUND %d FAILED: %s. Stopping part (b) here (--keep-going runs every round anyway).", k, r.error());
        break;
      }
    }
    return rounds;
  }

  /** One member's view: events timed against the crash, chat messages counted by client id. */
  private static final class Member {
    final Map<String, Integer> delivered = new ConcurrentHashMap<>();
    volatile long unavailableAt;
    volatile long availableAt;
    volatile @Nullable NodeId availableAdmin;
    volatile long availableEpoch;
    volatile long unavailableBeforeCrash;
    private final AtomicLong crashAt;

    Member(AtomicLong crashAt) {
      this.crashAt = crashAt;
    }

    void onEvent(RoomEvent e) {
      long now = System.nanoTime();
      if (e instanceof ChatMessage m && m.clientMessageId() != null) {
        delivered.merge(m.clientMessageId(), 1, Integer::sum);
      } else if (e instanceof RoomEvent.RoomUnavailable) {
        if (crashAt.get() == 0) {
          unavailableBeforeCrash++;
        } else if (unavailableAt == 0) {
          unavailableAt = now;
        }
      } else if (e instanceof RoomEvent.RoomAvailable a && crashAt.get() != 0 && availableAt == 0
          && !a.admin().value().equals(FailoverCluster.name(0))) {
        availableAdmin = a.admin();
        availableEpoch = a.epoch();
        availableAt = now;
      }
    }
  }

  /** One send: who, and (set by its completion) when and how it was answered. */
  private static final class Send {
    final String id;
    volatile long ackAt;
    volatile @Nullable Sent sent;
    volatile @Nullable String failure;

    Send(String id) {
      this.id = id;
    }
  }

  private Round round(int k) throws Exception {
    AtomicLong crashAt = new AtomicLong();
    try (FailoverCluster c = FailoverCluster.start(FailoverCluster.Mode.RF3_REPLICATED, o.failoverTiming())) {
      c.node(0).createRoom(ROOM).get(30, TimeUnit.SECONDS);
      Room[] rooms = new Room[FailoverCluster.NODES];
      Member[] members = new Member[FailoverCluster.NODES];
      UserId[] users = new UserId[FailoverCluster.NODES];
      AtomicLongArray downAt = new AtomicLongArray(FailoverCluster.NODES);
      for (int i : SURVIVORS) {
        var node = c.node(i);
        ChatmeshSystem.awaitTrue(() -> node.room(ROOM).isPresent(), "room " + ROOM + " on n" + i);
        rooms[i] = node.room(ROOM).orElseThrow();
        members[i] = new Member(crashAt);
        users[i] = UserId.of("member-" + i);
        rooms[i].join(users[i], members[i]::onEvent).get(30, TimeUnit.SECONDS);
        int idx = i;
        node.addClusterListener(new ClusterListener() {
          @Override
          public void onNodeDown(NodeId down) {
            if (down.value().equals(FailoverCluster.name(0)) && crashAt.get() != 0) {
              downAt.compareAndSet(idx, 0, System.nanoTime());
            }
          }
        });
      }
      long oldEpoch = rooms[1].info().get(10, TimeUnit.SECONDS).epoch();
      AtomicLong firstNewAck = new AtomicLong();
      List<Send> sends = new ArrayList<>();
      Thread sender = new Thread(() -> sendSteadily(rooms, users, sends, oldEpoch, firstNewAck), "failover-sender");
      sender.start();
      String error = "";
      try {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(o.steadyMillis()));
        long t0 = System.nanoTime();
        crashAt.set(t0);
        c.crash(0);
        long deadline = t0 + TimeUnit.SECONDS.toNanos(o.waitSeconds());
        if (!await(() -> members[1].availableAt != 0 && members[2].availableAt != 0, deadline)) {
          error = "no RoomAvailable naming a new admin on both members within " + o.waitSeconds() + " s of the crash"
              + " (n1: " + (members[1].availableAt != 0) + ", n2: " + (members[2].availableAt != 0) + ")";
        } else if (!await(() -> firstNewAck.get() != 0, deadline)) {
          error = "no send acked with an epoch above " + oldEpoch + " within " + o.waitSeconds() + " s of the crash";
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(o.afterMillis()));
      } finally {
        sender.interrupt();
        sender.join(10_000);
      }
      long t0 = crashAt.get();
      synchronized (sends) {
        await(() -> sends.stream().allMatch(s -> s.ackAt != 0 || s.failure != null), System.nanoTime() + TimeUnit.SECONDS.toNanos(o.waitSeconds()));
      }
      List<Send> acked = new ArrayList<>();
      Map<String, Integer> failures = new TreeMap<>();
      long unanswered = 0;
      synchronized (sends) {
        for (Send s : sends) {
          if (s.sent != null) {
            acked.add(s);
          } else if (s.failure != null) {
            failures.merge(s.failure, 1, Integer::sum);
          } else {
            unanswered++;
          }
        }
      }
      if (unanswered > 0) {
        error = (error.isEmpty() ? "" : error + "; ") + unanswered + " sends never answered";
      }
      // every acked send reaches both members (waited for), then counted
      await(() -> {
        for (int i : SURVIVORS) {
          for (Send s : acked) {
            if (!members[i].delivered.containsKey(s.id)) {
              return false;
            }
          }
        }
        return true;
      }, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
      long beforeCrash = 0, violBefore = 0, violAll = 0;
      for (Send s : acked) {
        boolean before = s.ackAt < t0;
        beforeCrash += before ? 1 : 0;
        for (int i : SURVIVORS) {
          if (members[i].delivered.getOrDefault(s.id, 0) != 1) {
            violAll++;
            violBefore += before ? 1 : 0;
          }
        }
      }
      Member m1 = members[1];
      String newAdmin = m1.availableAdmin == null ? "-" : m1.availableAdmin.value();
      long historyViol = error.isEmpty() ? historyViolations(c, newAdmin, acked, t0) : NOT_CHECKED;
      if (m1.unavailableBeforeCrash + members[2].unavailableBeforeCrash > 0) {
        failures.put("RoomUnavailable before the crash", (int) (m1.unavailableBeforeCrash + members[2].unavailableBeforeCrash));
      }
      return new Round(k, since(t0, Math.max(downAt.get(1), downAt.get(2)), downAt.get(1) == 0 || downAt.get(2) == 0),
          since(t0, Math.max(m1.unavailableAt, members[2].unavailableAt), m1.unavailableAt == 0 || members[2].unavailableAt == 0),
          since(t0, Math.max(m1.availableAt, members[2].availableAt), m1.availableAt == 0 || members[2].availableAt == 0),
          since(t0, firstNewAck.get(), firstNewAck.get() == 0), newAdmin, oldEpoch, m1.availableEpoch, sends.size(), acked.size(), beforeCrash,
          sends.size() - acked.size() - unanswered, failures.isEmpty() ? "" : failures.toString(), violBefore, historyViol, violAll, error);
    }
  }

  private static double since(long t0, long t, boolean missing) {
    return missing ? Double.NaN : (t - t0) / 1e6;
  }

  /** Open loop at {@code sendRate} per member, alternating members, until interrupted. */
  private void sendSteadily(Room[] rooms, UserId[] users, List<Send> sends, long oldEpoch, AtomicLong firstNewAck) {
    double interval = 1e9 / (o.sendRate() * SURVIVORS.length);
    long start = System.nanoTime();
    long[] seq = new long[FailoverCluster.NODES];
    for (long n = 0; !Thread.currentThread().isInterrupted(); n++) {
      long wait = start + (long) (n * interval) - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      int i = SURVIVORS[(int) (n % SURVIVORS.length)];
      Send s = new Send(i + "-" + (++seq[i]));
      synchronized (sends) {
        sends.add(s);
      }
      try {
        rooms[i].send(users[i], "failover bench " + s.id, s.id).whenComplete((sent, e) -> {
          if (e == null) {
            s.ackAt = System.nanoTime();
            s.sent = sent;
            if (sent.epoch() > oldEpoch) {
              firstNewAck.compareAndSet(0, s.ackAt);
            }
          } else {
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            s.failure = cause instanceof ChatException ce ? ce.code().name() : cause.getClass().getSimpleName();
          }
        });
      } catch (RuntimeException e) {
        s.failure = "thrown " + e.getClass().getSimpleName();
      }
    }
  }

  /** Acked-before-crash sends that are not exactly once in the new admin's history; -1 if it cannot be read. */
  private long historyViolations(FailoverCluster c, String newAdmin, List<Send> acked, long t0) {
    int idx = newAdmin.equals(FailoverCluster.name(1)) ? 1 : newAdmin.equals(FailoverCluster.name(2)) ? 2 : -1;
    if (idx < 0) {
      return -1;
    }
    Map<String, Integer> counts = new HashMap<>();
    try {
      Room room = c.node(idx).room(ROOM).orElseThrow();
      long before = Long.MAX_VALUE;
      for (int page = 0; page < 1000; page++) {
        List<ChatMessage> msgs = room.history(before, 1000).get(o.waitSeconds(), TimeUnit.SECONDS);
        if (msgs.isEmpty()) {
          break;
        }
        for (ChatMessage m : msgs) {
          if (m.clientMessageId() != null) {
            counts.merge(m.clientMessageId(), 1, Integer::sum);
          }
        }
        before = msgs.get(0).seq();
      }
    } catch (Exception e) {
      log("history of the new admin %s could not be read: %s", newAdmin, e);
      return -1;
    }
    long viol = 0;
    for (Send s : acked) {
      if (s.ackAt < t0 && counts.getOrDefault(s.id, 0) != 1) {
        viol++;
      }
    }
    return viol;
  }

  private static boolean await(BooleanSupplier c, long deadlineNanos) {
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > deadlineNanos) {
        return false;
      }
      LockSupport.parkNanos(1_000_000);
    }
    return true;
  }

  private void log(String fmt, Object... args) {
    out.println("  " + String.format(Locale.ROOT, fmt, args));
    out.flush();
  }
}
