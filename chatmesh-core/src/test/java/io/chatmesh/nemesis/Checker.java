package io.chatmesh.nemesis;

import io.chatmesh.ChatMessage;
import io.chatmesh.JoinOptions;
import io.chatmesh.RoomEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Checks a nemesis {@link History} against the documented guarantees only (README "How it
 * works", the javadoc of {@code Room}, {@code RoomEvent}, {@code JoinOptions}, {@code Sent}): it
 * reads what clients were told and what listeners received, never the engine's state.
 *
 * <p>A room's log is identified by its name, the harness's label of the room's incarnation (a new
 * label whenever a creation may have happened) and the epoch; the checker rebuilds each log from
 * every member's stream and every history page, then reports the anomalies of {@link Kind}. Each
 * names the seed, the room, the seqs and the first operation involved, with the replay command.
 */
final class Checker {
  /** What can be wrong. */
  enum Kind {
    /** Acked to the sender, never delivered to a member joined before it whose session stayed up to the end. */
    LOST,
    /** One member got the same seq twice, or one message is in the log twice. */
    DUPLICATED,
    /** Delivered but never sent (or sent to another incarnation of the room, or its send definitely failed), or after RoomDeleted. */
    UNEXPECTED,
    /** A member got seqs out of order. */
    REORDERED,
    /** Two members (or a history page) disagree on what is at one (epoch, seq). */
    DIVERGING,
    /** A hole in one member's stream not reported as MessagesLost. */
    GAP,
    /** The acked seq is not where the message (or the join) is in the log, or two acks of one client id differ. */
    WRONG_ACK,
    /** A user's joins and leaves do not alternate in the log, or a member is told it left though it never asked. */
    JOIN_LEAVE_ORDER,
    /** One (user, client id) sequenced at two seqs. */
    RETRY_SEQUENCED_TWICE,
    /** After a deletion the room is gone on some nodes and listed on others once faults stopped. */
    MIXED_2PC,
    /** Two rooms of one name: two creations without a deletion between, or two admins listed at the end. */
    TWO_ROOMS_ONE_NAME,
    /** The directories differ, or list a room its admin does not serve, a bounded time after faults stopped. */
    DIRECTORY_NOT_CONVERGED,
    /** A resume with a position of a previous room of the same name was not refused (recovered = true or history given). */
    RESUME_ACROSS_INCARNATIONS,
    /** An operation never completed, long after every fault stopped (e.g. a participant in doubt forever). */
    NEVER_COMPLETED
  }

  /** One anomaly; {@link #toString()} is one line with the replay command. */
  record Anomaly(Kind kind, long seed, String room, String seqs, String firstOp, String detail, String replay) {
    @Override
    public String toString() {
      return kind + " seed=" + seed + " room=" + room + " seqs=" + seqs + " first=" + firstOp + ": " + detail + "\n  replay: " + replay;
    }
  }

  private final History h;
  /** With failover the seq goes on across epochs (one log per room incarnation), else one log per epoch. */
  private final boolean failover;
  /** Acks on the admin: what {@link io.chatmesh.Failover.Acks#ADMIN_ONLY} documents as lost at failover is allowed. */
  private final boolean adminOnly;
  /** With failover: log key -> seq -> epoch -> {entry, first witness}. */
  private final Map<String, TreeMap<Long, TreeMap<Long, String[]>>> byEpoch = new TreeMap<>();
  /** With failover: log key -> seq -> epoch of the entry the log keeps there (the newest epoch's). */
  private final Map<String, TreeMap<Long, Long>> epochAt = new HashMap<>();
  /** With failover: log key -> epoch -> the lowest seq any session or history page shows an entry of that epoch at. */
  private final Map<String, Map<Long, Long>> firstSeqOf = new HashMap<>();
  /** With failover: log key -> every epoch the history shows for that room incarnation (entries, acks, RoomAvailable). */
  private final Map<String, java.util.TreeSet<Long>> epochsKnown = new HashMap<>();
  /** What the ADMIN_ONLY allowances excused in this history, by rule. */
  private final Map<String, Integer> allowed = new TreeMap<>();
  /** Per rule, how often the ADMIN_ONLY allowances excused something, over every history checked (for the long runs' figures). */
  static final Map<String, java.util.concurrent.atomic.AtomicInteger> ALLOWED = new java.util.concurrent.ConcurrentHashMap<>();
  private final List<Anomaly> out = new ArrayList<>();
  private final Set<String> reported = new HashSet<>();
  /** log key -> seq -> entry description. */
  private final Map<String, TreeMap<Long, String>> logs = new TreeMap<>();
  /** text -> the send ops carrying it (original and retries). */
  private final Map<String, List<History.Op>> sendsByText = new HashMap<>();

  private Checker(History h) {
    this.h = h;
    this.failover = h.failover != null;
    this.adminOnly = h.failover == io.chatmesh.Failover.Acks.ADMIN_ONLY;
  }

  /** Every anomaly of {@code history}, in a stable order. */
  static List<Anomaly> check(History history) {
    Checker c = new Checker(history);
    c.run();
    return c.out;
  }

  /** {epoch, seq} of a sequenced event, or null for the others (and for a REMOVED leave, seq 0). */
  static long @Nullable [] position(RoomEvent e) {
    if (e instanceof ChatMessage m) {
      return new long[] {m.epoch(), m.seq()};
    } else if (e instanceof RoomEvent.MemberJoined j) {
      return new long[] {j.epoch(), j.seq()};
    } else if (e instanceof RoomEvent.MemberLeft l && l.seq() > 0) {
      return new long[] {l.epoch(), l.seq()};
    }
    return null;
  }

  private static String describe(RoomEvent e) {
    if (e instanceof ChatMessage m) {
      return "message " + m.user() + " '" + m.text() + "'" + (m.clientMessageId() == null ? "" : " cid " + m.clientMessageId());
    } else if (e instanceof RoomEvent.MemberJoined j) {
      return "join " + j.user();
    } else if (e instanceof RoomEvent.MemberLeft l) {
      return "leave " + l.user() + " " + l.reason();
    }
    return e.toString();
  }

  private String key(String room, int label, long epoch) {
    return room + "#" + label + (failover ? "/e*" : "/e" + epoch);
  }

  /** Whether the history shows an epoch of that room incarnation newer than {@code epoch}: a failover ended it. */
  private boolean laterEpoch(String key, long epoch) {
    java.util.TreeSet<Long> known = epochsKnown.get(key);
    return known != null && known.higher(epoch) != null;
  }

  /** Counts an ADMIN_ONLY allowance (what Failover's javadoc says may be lost at failover). */
  private void allow(String rule) {
    allowed.merge(rule, 1, Integer::sum);
    ALLOWED.computeIfAbsent(rule, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
  }

  private void run() {
    for (History.Op op : h.ops) {
      if (op.kind.equals("send") && op.text != null) {
        sendsByText.computeIfAbsent(op.text, k -> new ArrayList<>()).add(op);
      }
    }
    buildLogs();
    if (failover) {
      knowEpochs();
      canonicalLogs();
    }
    h.sessions.forEach(this::checkStream);
    checkLogs();
    checkAcks();
    checkLost();
    checkOwnRemovals();
    checkResumes();
    DirectoryCheck.check(h, this::add);
    for (History.Op op : h.ops) {
      if (op.outcome == History.Outcome.PENDING) {
        add(Kind.NEVER_COMPLETED, op.room, "-", op, "still pending after every fault stopped and " + h.directoryNote);
      }
    }
    suppressConsequencesOfSplitBrain();
  }

  /**
   * Two live rooms of one name break the per-name labels every log check relies on: keep the
   * TWO_ROOMS_ONE_NAME and directory anomalies of such a room, and count the rest as consequences.
   */
  private void suppressConsequencesOfSplitBrain() {
    Set<String> split = new HashSet<>();
    for (Anomaly a : out) {
      if (a.kind() == Kind.TWO_ROOMS_ONE_NAME) {
        split.add(a.room());
      }
    }
    if (split.isEmpty()) {
      return;
    }
    Map<String, Integer> dropped = new HashMap<>();
    out.removeIf(a -> {
      String name = a.room().contains("#") ? a.room().substring(0, a.room().indexOf('#')) : a.room();
      boolean consequence = split.contains(name) && a.kind() != Kind.TWO_ROOMS_ONE_NAME && a.kind() != Kind.DIRECTORY_NOT_CONVERGED
;
      if (consequence) {
        dropped.merge(name, 1, Integer::sum);
      }
      return consequence;
    });
    for (int i = 0; i < out.size(); i++) {
      Anomaly a = out.get(i);
      Integer n = dropped.remove(a.room());
      if (a.kind() == Kind.TWO_ROOMS_ONE_NAME && n != null) {
        out.set(i, new Anomaly(a.kind(), a.seed(), a.room(), a.seqs(), a.firstOp(), a.detail() + " (+" + n + " consequent anomalies in its logs)", a.replay()));
      }
    }
  }

  void add(Kind kind, String room, String seqs, History.@Nullable Op first, String detail) {
    if (reported.add(kind + "|" + room + "|" + seqs + "|" + detail)) {
      out.add(new Anomaly(kind, h.seed, room, seqs, first == null ? "-" : first.toString(), detail, h.replay));
    }
  }

  // ------------------------------------------------------------------ logs

  private void buildLogs() {
    for (History.Session s : h.sessions) {
      for (RoomEvent e : s.events) {
        long[] p = position(e);
        if (p != null) {
          record(key(s.join.room, s.join.incarnation, p[0]), p[0], p[1], describe(e), s.toString(), s.join);
        }
      }
    }
    for (History.Op op : h.ops) {
      if (op.kind.equals("history") && op.outcome == History.Outcome.OK) {
        long prev = 0;
        for (ChatMessage m : op.page) {
          record(key(op.room, op.incarnation, m.epoch()), m.epoch(), m.seq(), describe(m), "history page " + op, op);
          if (m.seq() <= prev) {
            add(Kind.REORDERED, op.room, prev + "," + m.seq(), op, "history page not ascending");
          }
          prev = m.seq();
        }
      }
    }
  }

  private final Map<String, String> firstWitness = new HashMap<>();

  private void record(String key, long epoch, long seq, String what, String witness, History.Op op) {
    if (failover) {
      TreeMap<Long, String[]> at = byEpoch.computeIfAbsent(key, k -> new TreeMap<>()).computeIfAbsent(seq, k -> new TreeMap<>());
      String[] had = at.putIfAbsent(epoch, new String[] {what, witness});
      if (had != null && !had[0].equals(what)) {
        add(Kind.DIVERGING, key, String.valueOf(seq), op, "in epoch " + epoch + ": " + had[1] + " got " + had[0] + ", " + witness + " got " + what);
      }
      return;
    }
    TreeMap<Long, String> log = logs.computeIfAbsent(key, k -> new TreeMap<>());
    String had = log.putIfAbsent(seq, what);
    firstWitness.putIfAbsent(key + "@" + seq, witness);
    if (had != null && !had.equals(what)) {
      add(Kind.DIVERGING, key, String.valueOf(seq), op,
          firstWitness.get(key + "@" + seq) + " got " + had + ", " + witness + " got " + what);
    }
  }

  /** With failover: every epoch each room incarnation shows (entries, acks, RoomAvailable events). */
  private void knowEpochs() {
    byEpoch.forEach((key, seqs) -> seqs.values().forEach(at -> epochsKnown.computeIfAbsent(key, k -> new java.util.TreeSet<>()).addAll(at.keySet())));
    for (History.Op op : h.ops) {
      if (op.outcome == History.Outcome.OK && op.epoch > 0) {
        epochsKnown.computeIfAbsent(key(op.room, op.incarnation, op.epoch), k -> new java.util.TreeSet<>()).add(op.epoch);
      }
    }
    for (History.Session s : h.sessions) {
      for (RoomEvent e : s.events) {
        if (e instanceof RoomEvent.RoomAvailable a) {
          epochsKnown.computeIfAbsent(key(s.join.room, s.join.incarnation, a.epoch()), k -> new java.util.TreeSet<>()).add(a.epoch());
        }
      }
    }
  }

  /**
   * With failover, one log per room incarnation across its epochs: at each seq the entry of the
   * newest epoch seen there. Two epochs with different entries at one seq are DIVERGING with
   * REPLICATED acks (a new admin adopts every entry a majority holds, and members only get those),
   * allowed with ADMIN_ONLY (the older epoch's entry was lost at failover and its seq reused); the
   * same entry under two epochs is DIVERGING with REPLICATED (an adopted entry keeps its epoch) and
   * allowed with ADMIN_ONLY (a lost message's retry landed on its reused seq). With
   * REPLICATED, epochs must also not go down along the log: an entry of epoch e after the first seq
   * of a newer epoch is one the new admin did not adopt, yet someone received it.
   */
  private void canonicalLogs() {
    for (Map.Entry<String, TreeMap<Long, TreeMap<Long, String[]>>> k : byEpoch.entrySet()) {
      String key = k.getKey();
      TreeMap<Long, String> log = logs.computeIfAbsent(key, x -> new TreeMap<>());
      TreeMap<Long, Long> epochs = epochAt.computeIfAbsent(key, x -> new TreeMap<>());
      long newest = 0;
      long newestFrom = 0;
      for (Map.Entry<Long, TreeMap<Long, String[]>> at : k.getValue().entrySet()) {
        long seq = at.getKey();
        at.getValue().keySet().forEach(e -> firstSeqOf.computeIfAbsent(key, x -> new HashMap<>()).merge(e, seq, Math::min));
        Map.Entry<Long, String[]> kept = at.getValue().lastEntry();
        log.put(seq, kept.getValue()[0]);
        epochs.put(seq, kept.getKey());
        firstWitness.putIfAbsent(key + "@" + seq, kept.getValue()[1]);
        for (Map.Entry<Long, String[]> older : at.getValue().headMap(kept.getKey(), false).entrySet()) {
          String detail = "epoch " + older.getKey() + ": " + older.getValue()[1] + " got " + older.getValue()[0] + "; epoch " + kept.getKey()
              + ": " + kept.getValue()[1] + " got " + kept.getValue()[0];
          if (older.getValue()[0].equals(kept.getValue()[0]) && !adminOnly) {
            add(Kind.DIVERGING, key, String.valueOf(seq), null, "one entry under two epochs: " + detail);
          } else if (older.getValue()[0].equals(kept.getValue()[0])) {
            // ADMIN_ONLY: the old admin's entry was lost at failover and its client's retry landed on the same, reused seq
            allow("a message lost at failover sequenced again at the same seq by its retry");
          } else if (adminOnly) {
            allow("seq reused by a later epoch (the older entry lost at failover)");
          } else {
            add(Kind.DIVERGING, key, String.valueOf(seq), null, "two epochs sequenced different entries at one seq: " + detail);
          }
        }
        if (kept.getKey() < newest && !adminOnly) {
          add(Kind.DIVERGING, key, String.valueOf(seq), null, "an entry of epoch " + kept.getKey() + " (" + kept.getValue()[0] + ", "
              + kept.getValue()[1] + ") after epoch " + newest + " began at seq " + newestFrom + ": the new admin did not adopt it");
        }
        if (kept.getKey() > newest) {
          newest = kept.getKey();
          newestFrom = seq;
        }
      }
    }
  }

  /** One member's stream: ordered, no duplicate, no unreported gap, nothing after RoomDeleted. */
  private void checkStream(History.Session s) {
    String room = s.join.room + "#" + s.join.incarnation;
    Map<Long, Long> last = new HashMap<>();
    List<long[]> lost = new ArrayList<>();
    boolean deleted = false;
    boolean first = true;
    long lastEpoch = 0;
    // the MessagesLost received since the last sequenced event (ADMIN_ONLY: may announce reused seqs)
    long @Nullable [] notice = null;
    // what this member holds at each seq (the last epoch it got there)
    TreeMap<Long, Long> held = new TreeMap<>();
    for (RoomEvent e : s.events) {
      if (deleted) {
        add(Kind.UNEXPECTED, room, "-", s.join, s + " got " + e + " after RoomDeleted");
      }
      if (e instanceof RoomEvent.RoomDeleted) {
        deleted = true;
      }
      if (e instanceof RoomEvent.MessagesLost ml) {
        notice = new long[] {ml.epoch(), ml.fromSeq(), ml.toSeq()};
        lost.add(notice);
      }
      if (e instanceof RoomEvent.MemberLeft l && l.user().value().equals(s.join.user) && l.reason() == RoomEvent.LeaveReason.LEFT
          && s.join.outcome == History.Outcome.OK && l.seq() > s.join.seq && !s.endedBy.startsWith("leave")) {
        add(Kind.JOIN_LEAVE_ORDER, room, String.valueOf(l.seq()), s.join,
            s + " was told it left (seq " + l.seq() + ") though it never asked: a leave of an earlier session sequenced after this join");
      }
      long[] p = position(e);
      if (p == null) {
        continue;
      }
      long epoch = p[0];
      long seq = p[1];
      long[] told = notice;
      notice = null;
      held.put(seq, epoch);
      if (first) {
        first = false;
        checkStart(s, room, seq, lost);
      }
      long track = failover ? 0 : epoch; // with failover the seq goes on across epochs
      Long prev = last.get(track);
      if (prev != null && adminOnly && seq <= prev && told != null && told[0] > lastEpoch && told[1] == seq && told[2] >= prev
          && laterEpoch(key(s.join.room, s.join.incarnation, 0), lastEpoch)) {
        // ADMIN_ONLY (Failover.Acks.ADMIN_ONLY's javadoc): the entries from seq on this member got from the old admin were lost
        // at failover and the new admin reused their seqs; the member was told (MessagesLost of the newer epoch, seq..prev)
        // right before it got the log's entries from seq on again
        allow("a member told of entries lost at failover got the entries reusing their seqs");
        lost.remove(told); // it announces a going back, it does not excuse a later hole
        held.tailMap(seq, false).clear();
        last.put(track, seq);
        lastEpoch = epoch;
        continue;
      }
      if (prev != null) {
        if (seq == prev) {
          add(Kind.DUPLICATED, room, String.valueOf(seq), s.join, s + " got seq " + seq + " twice");
        } else if (seq < prev) {
          add(Kind.REORDERED, room, prev + "," + seq, s.join, s + " got seq " + seq + " after " + prev);
        } else if (seq > prev + 1 && !covered(lost, failover ? -1 : epoch, prev + 1, seq - 1)) {
          add(Kind.GAP, room, (prev + 1) + ".." + (seq - 1), s.join, s + " skipped them without MessagesLost");
        }
      }
      if (prev == null || seq > prev) {
        last.put(track, seq);
        lastEpoch = epoch;
      }
    }
    if (adminOnly) {
      keptLostEntries(s, room, held);
    }
  }

  /**
   * ADMIN_ONLY: what a member holds at the end (the last entry it got at each seq) must be one log,
   * by the log matching rule: an entry keeps the epoch that sequenced it, an admin sequences its own
   * entries one after the other from where its log started, and a newer admin continues some
   * admin's log. So a member holding an entry of epoch e at seq t holds e's log from the first seq
   * e sequenced at (as anyone saw it, {@link #firstSeqOf}) to t: entries of epoch e only. An entry
   * of another epoch at a seq s in there is DIVERGING: known violation F5 (the member skipped the
   * newer admin's entries at seqs it had delivered: it holds the older entry at s, the newer
   * epoch's after it), or seed 1691 (a new admin kept its own entry lost at failover below entries
   * of the epoch that reused its seq, and the member followed it). A newer admin may continue an
   * older epoch's log again: with ADMIN_ONLY the entries an intermediate epoch put at the reused
   * seqs may be lost too (never replicated), and a member told so holds the older entries there
   * again, followed by the newest admin's own entries - one log, not flagged (the checker's
   * {@link #epochAt} keeps the newest epoch seen at a seq, which cannot tell those apart).
   */
  private void keptLostEntries(History.Session s, String room, TreeMap<Long, Long> held) {
    Map<Long, Long> first = firstSeqOf.getOrDefault(key(s.join.room, s.join.incarnation, 0), Map.of());
    for (Map.Entry<Long, Long> at : held.entrySet()) {
      for (Map.Entry<Long, Long> later : held.tailMap(at.getKey(), false).entrySet()) {
        long e = later.getValue();
        Long from = first.get(e);
        if (e != at.getValue() && from != null && from <= at.getKey()) {
          add(Kind.DIVERGING, room, String.valueOf(at.getKey()), s.join, s + " kept the entry of epoch " + at.getValue() + " at seq "
              + at.getKey() + " though it got the entry of epoch " + e + " at seq " + later.getKey() + ", and epoch " + e
              + " sequenced its own entries from seq " + from + " on: no log holds both");
          break;
        }
      }
    }
  }

  /** Where a stream must start: the own join, or right after the since/resume position when recovered. */
  private void checkStart(History.Session s, String room, long firstSeq, List<long[]> lost) {
    History.Op j = s.join;
    if (j.outcome != History.Outcome.OK) {
      return;
    }
    JoinOptions o = s.options;
    long expected;
    if (o.mode() == JoinOptions.Mode.NONE) {
      expected = j.seq;
    } else if ((o.mode() == JoinOptions.Mode.SINCE || o.mode() == JoinOptions.Mode.RESUME && o.epoch() == j.epoch)
        && j.recovered && s.resumedFromIncarnation < 0 | s.resumedFromIncarnation == j.incarnation) {
      expected = Math.min(o.seq() + 1, j.seq);
    } else {
      return;
    }
    if (firstSeq != expected && !covered(lost, failover ? -1 : j.epoch, expected, firstSeq - 1)) {
      add(Kind.GAP, room, expected + ".." + (firstSeq - 1), j,
          s + " (" + o + ", joined at " + j.seq + ") started at seq " + firstSeq + " instead of " + expected);
    }
  }

  /** Whether MessagesLost covered {@code from..to} of {@code epoch} (-1: of any epoch, with failover). */
  private static boolean covered(List<long[]> lost, long epoch, long from, long to) {
    for (long s = from; s <= to; s++) {
      boolean in = false;
      for (long[] l : lost) {
        if ((epoch < 0 || l[0] == epoch) && l[1] <= s && s <= l[2]) {
          in = true;
          break;
        }
      }
      if (!in) {
        return false;
      }
    }
    return true;
  }

  // ------------------------------------------------------------------ log contents

  private void checkLogs() {
    for (Map.Entry<String, TreeMap<Long, String>> log : logs.entrySet()) {
      String key = log.getKey();
      String room = key.substring(0, key.indexOf('#'));
      int label = Integer.parseInt(key.substring(key.indexOf('#') + 1, key.indexOf('/')));
      Map<String, Long> byText = new HashMap<>();
      Map<String, Long> byCid = new HashMap<>();
      Map<String, String> membership = new HashMap<>();
      Map<String, Long> membershipSeq = new HashMap<>();
      long prevSeq = 0;
      for (Map.Entry<Long, String> e : log.getValue().entrySet()) {
        long seq = e.getKey();
        String what = e.getValue();
        boolean contiguous = seq == prevSeq + 1;
        prevSeq = seq;
        if (what.startsWith("message ")) {
          String text = what.substring(what.indexOf('\'') + 1, what.lastIndexOf('\''));
          String user = what.substring("message ".length(), what.indexOf(' ', "message ".length()));
          Long other = byText.put(text, seq);
          List<History.Op> sends = sendsByText.getOrDefault(text, List.of());
          History.Op send = sends.isEmpty() ? null : sends.get(0);
          boolean excused = other != null && sequencedAgainAfterLoss(key, other, seq);
          if (other != null && !excused) {
            boolean withCid = what.contains(" cid ");
            add(withCid ? Kind.RETRY_SEQUENCED_TWICE : Kind.DUPLICATED, key, other + "," + seq, send, "'" + text + "' sequenced twice");
          }
          if (what.contains(" cid ")) {
            String cid = user + "/" + what.substring(what.indexOf(" cid ") + 5);
            Long was = byCid.put(cid, seq);
            if (was != null && other == null && !sequencedAgainAfterLoss(key, was, seq)) {
              add(Kind.RETRY_SEQUENCED_TWICE, key, was + "," + seq, send, "client id " + cid + " sequenced twice");
            }
          }
          if (send == null) {
            add(Kind.UNEXPECTED, key, String.valueOf(seq), null, what + " was never sent");
          } else if (newRoomBetween(room, send.incarnation, label)) {
            add(Kind.UNEXPECTED, key, String.valueOf(seq), send,
                "sent to incarnation " + send.incarnation + " of " + room + ", sequenced in the later room of that name (label " + label + ")");
          } else if (sends.stream().allMatch(History.Op::definitelyFailed)) {
            add(Kind.UNEXPECTED, key, String.valueOf(seq), send, "delivered although its send failed with " + send.code);
          }
        } else if (what.startsWith("join ") || what.startsWith("leave ")) {
          String[] w = what.split(" ");
          String user = w[1];
          String prev = membership.put(user, w[0]);
          Long prevAt = membershipSeq.put(user, seq);
          if (prev != null && prev.equals(w[0]) && contiguousBetween(log.getValue(), prevAt, seq)) {
            if (adminOnly && unseenBetween(key, room, w[0].equals("join") ? "leave " + user : "join " + user, prevAt, seq)) {
              // ADMIN_ONLY: the entry between was lost at failover; the newer admin put the other
              // membership entry at its reused seq, which no member got (seed 4056)
              allow("a join or leave no member got, at a seq reused after its entry was lost at failover");
            } else {
              add(Kind.JOIN_LEAVE_ORDER, key, prevAt + "," + seq, null, user + ": two " + w[0] + "s in a row in the log");
            }
          }
        }
        if (!contiguous) {
          membership.clear(); // an unknown seq between: alternation cannot be judged across it
        }
      }
    }
  }

  /**
   * ADMIN_ONLY: whether a node stored {@code entry} (the membership entry missing between {@code
   * from} and {@code to}) at a seq between them under an epoch of this room incarnation newer than
   * the entry the members got there, and not newer than the entry at {@code to}: the members' entry
   * at that seq was lost at failover, and the next admin reused the seq for {@code entry}, which no
   * member received (seed 4056: the NODE_FAILED of a member adopted at the takeover whose node never
   * attached goes to no node). Only a store's word counts: the log members saw stays what is checked.
   */
  private boolean unseenBetween(String key, String room, String entry, long from, long to) {
    Map<Long, Map<Long, String>> stored = h.storedMembership.getOrDefault(room, Map.of());
    java.util.TreeSet<Long> epochs = epochsKnown.getOrDefault(key, new java.util.TreeSet<>());
    for (long g = from + 1; g < to; g++) {
      for (Map.Entry<Long, String> e : stored.getOrDefault(g, Map.of()).entrySet()) {
        long epoch = e.getKey();
        if (e.getValue().equals(entry) && epochs.contains(epoch) && epoch > epochOf(key, g) && epoch <= epochOf(key, to)) {
          return true;
        }
      }
    }
    return false;
  }

  /** With failover: the epoch of the entry the log keeps at {@code seq} (0 if none or without failover). */
  private long epochOf(String key, long seq) {
    TreeMap<Long, Long> e = epochAt.get(key);
    Long at = e == null ? null : e.get(seq);
    return at == null ? 0 : at;
  }

  /**
   * ADMIN_ONLY: whether one message at seqs {@code lower < higher} of one log is the documented loss
   * at failover and its retry sequenced anew (counted as an allowance), not one log sequencing it
   * twice. Only entries of two different epochs qualify:
   *
   * <ul>
   *   <li>the lower seq holds the older epoch's entry: lost at failover, the retry sequenced anew
   *       after the reused seqs (seed 138's kind);
   *   <li>the lower seq holds the newer epoch's entry (seed 2588): the admin of that epoch
   *       continued a log that ended below the lower seq and sequences only after it, so the
   *       older epoch's entry at the higher seq is not in its log: no log holds both, one was
   *       lost at failover (the older one, whose retry landed where the new log had got to, below
   *       the lost seq). With REPLICATED acks the same shape is DIVERGING: a log's epochs may not
   *       go down.
   * </ul>
   *
   * Two entries of one epoch are never excused: one admin sequenced the message twice.
   */
  private boolean sequencedAgainAfterLoss(String key, long lower, long higher) {
    if (!adminOnly) {
      return false;
    }
    long first = epochOf(key, lower);
    long second = epochOf(key, higher);
    if (first < second) {
      allow("a message lost at failover sequenced again by its retry");
      return true;
    }
    if (first > second) {
      allow("a message lost at failover sequenced again below its lost seq by its retry");
      return true;
    }
    return false;
  }

  private static boolean contiguousBetween(TreeMap<Long, String> log, long from, long to) {
    return log.subMap(from, true, to, true).size() == to - from + 1;
  }

  /** Whether a certainly new room of that name began between labels {@code a} and {@code b}. */
  private boolean newRoomBetween(String room, int a, int b) {
    for (int x = Math.min(a, b) + 1; x <= Math.max(a, b); x++) {
      if (h.definiteCreations.contains(room + "#" + x)) {
        return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ acks

  private void checkAcks() {
    Map<String, History.Op> firstAckByCid = new HashMap<>();
    for (History.Op op : h.ops) {
      if (op.outcome != History.Outcome.OK || op.seq <= 0) {
        continue;
      }
      TreeMap<Long, String> log = logs.get(key(op.room, op.incarnation, op.epoch));
      if (op.kind.equals("send")) {
        if (op.clientId != null) {
          History.Op first = firstAckByCid.putIfAbsent(op.user + "/" + op.clientId, op);
          // with failover a retry answered by a later admin carries that admin's epoch (Sent.epoch), the original seq
          boolean differ = first != null && (first.seq != op.seq || (!failover && first.epoch != op.epoch));
          if (differ && adminOnly && first.epoch < op.epoch && laterEpoch(key(op.room, op.incarnation, first.epoch), first.epoch)) {
            allow("a retry after failover acked at a new seq (the original lost at failover)");
            differ = false;
          }
          if (differ) {
            add(Kind.WRONG_ACK, op.room + "#" + op.incarnation, first.seq + "," + op.seq, first,
                "two acks of client id " + op.clientId + " differ: " + first + " and " + op);
          }
        }
        if (log == null) {
          continue;
        }
        String at = log.get(op.seq);
        if (adminOnly && laterEpoch(key(op.room, op.incarnation, op.epoch), op.epoch)
            && (at == null || !at.contains("'" + op.text + "'")) && epochOf(key(op.room, op.incarnation, op.epoch), op.seq) != op.epoch) {
          // ADMIN_ONLY: acked by an admin that died before replicating it; its seq holds another epoch's entry, or nobody saw it
          allow("an ack of an entry lost at failover");
          continue;
        }
        if (at != null && !at.contains("'" + op.text + "'")) {
          add(Kind.WRONG_ACK, op.room + "#" + op.incarnation, String.valueOf(op.seq), op, "acked at " + op.seq + " where the log has " + at);
        } else if (at == null) {
          for (Map.Entry<Long, String> e : log.entrySet()) {
            if (e.getValue().contains("'" + op.text + "'")) {
              add(Kind.WRONG_ACK, op.room + "#" + op.incarnation, op.seq + "," + e.getKey(), op,
                  "acked at " + op.seq + " but delivered at " + e.getKey());
            }
          }
        }
      } else if (op.kind.equals("join") && log != null) {
        String at = log.get(op.seq);
        if (adminOnly && at != null && !at.equals("join " + op.user) && laterEpoch(key(op.room, op.incarnation, op.epoch), op.epoch)
            && epochOf(key(op.room, op.incarnation, op.epoch), op.seq) > op.epoch) {
          // ADMIN_ONLY: a join acked by an admin that lost the room before replicating it; a newer epoch reused its seq
          allow("a join ack lost at failover (its seq reused)");
          continue;
        }
        // Room.join / Joined.seq: a user who already is a member (through another node) gets no
        // join event of its own; the join is acked at the first seq its session receives. So the
        // log must show the user's join at op.seq, or the user a member just before it; where the
        // log before op.seq has seqs nobody observed, an earlier join of the user whose outcome is
        // not definitely failed may have put its join event there
        if (at != null && !at.equals("join " + op.user) && !mayBeMemberBefore(log, op)) {
          add(Kind.WRONG_ACK, op.room + "#" + op.incarnation, String.valueOf(op.seq), op, "join acked at " + op.seq + " where the log has " + at);
        }
      }
    }
  }

  // ------------------------------------------------------------------ lost

  /**
   * An acked message is owed to every session of the same log that joined before it, never ended
   * (no leave asked, node never crashed, room not deleted by the client) and was never told it
   * lost its membership or the messages (RoomDeleted, its own MemberLeft, MessagesLost), unless
   * the log shows the user leaving between the join and the message.
   */
  private void checkLost() {
    if (!h.directoryConverged) {
      return; // the cluster did not settle: undelivered messages may still be on their way
    }
    for (History.Op op : h.ops) {
      if (!op.kind.equals("send") || op.outcome != History.Outcome.OK || op.seq <= 0) {
        continue;
      }
      String key = key(op.room, op.incarnation, op.epoch);
      TreeMap<Long, String> log = logs.getOrDefault(key, new TreeMap<>());
      List<String> missing = new ArrayList<>();
      for (History.Session s : h.sessions) {
        History.Op j = s.join;
        if (!j.room.equals(op.room) || j.incarnation != op.incarnation || j.outcome != History.Outcome.OK || (!failover && j.epoch != op.epoch)
            || j.seq >= op.seq || s.ended() || toldGone(s, op.epoch, op.seq)) {
          continue;
        }
        boolean leftBetween = log.subMap(j.seq, false, op.seq, false).values().stream().anyMatch(w -> w.startsWith("leave " + j.user + " "));
        if (leftBetween) {
          continue;
        }
        boolean got = s.events.stream().anyMatch(e -> {
          long[] p = position(e);
          // with failover the ack of a retry names the answering admin's epoch (Sent.epoch), the
          // entry keeps the epoch that sequenced it: the seq and the text identify it
          return p != null && p[1] == op.seq && (failover ? describe(e).contains("'" + op.text + "'") : p[0] == op.epoch);
        });
        if (!got && adminOnly && laterEpoch(key, op.epoch) && !gotLaterOfEpoch(s, op.epoch, op.seq)) {
          // ADMIN_ONLY: lost at failover (an entry the replicas did not have when its admin died); a
          // member that got later entries of that same epoch skipped it instead, which is not allowed.
          // (Not narrowed to entries "not in the log": the history cannot tell an entry the next admin
          // adopted from one it lost when no member saw what the next admin put at that seq - seeds
          // 605 and 905 of the ADMIN_ONLY run were such false alarms)
          allow("an acked message lost at failover, not delivered to a member");
          continue;
        }
        if (!got) {
          missing.add(s + " " + streamSummary(s));
        }
      }
      if (!missing.isEmpty()) {
        add(Kind.LOST, key, String.valueOf(op.seq), op, "acked, never delivered to " + String.join("; ", missing));
      }
    }
  }

  /** Whether {@code s} received an entry of {@code epoch} after {@code seq}. */
  private static boolean gotLaterOfEpoch(History.Session s, long epoch, long seq) {
    return s.events.stream().map(Checker::position).anyMatch(p -> p != null && p[0] == epoch && p[1] > seq);
  }

  /** "got seqs 12..30 (19 sequenced, 2 other events)" and how the join was answered. */
  static String streamSummary(History.Session s) {
    long min = Long.MAX_VALUE;
    long max = 0;
    int n = 0;
    for (RoomEvent e : s.events) {
      long[] p = position(e);
      if (p != null) {
        min = Math.min(min, p[1]);
        max = Math.max(max, p[1]);
        n++;
      }
    }
    return "(joined at " + s.join.seq + ", got " + (n == 0 ? "nothing" : "seqs " + min + ".." + max + ", " + n + " sequenced")
        + ", " + (s.events.size() - n) + " other events)";
  }

  /**
   * A member's own removal is a sequenced event after its join, so its session must get it (or be
   * told REMOVED, or that the room is gone); a session never ended that the log shows removed, and
   * that heard nothing of it, believes it is still a member: its removal was lost.
   */
  private void checkOwnRemovals() {
    if (!h.directoryConverged) {
      return;
    }
    for (History.Session s : h.sessions) {
      History.Op j = s.join;
      if (j.outcome != History.Outcome.OK || s.ended() || toldGone(s, j.epoch, -1)) {
        continue;
      }
      TreeMap<Long, String> log = logs.getOrDefault(key(j.room, j.incarnation, j.epoch), new TreeMap<>());
      for (Map.Entry<Long, String> e : log.tailMap(j.seq, false).entrySet()) {
        if (e.getValue().startsWith("leave " + j.user + " ")) {
          add(Kind.LOST, key(j.room, j.incarnation, j.epoch), String.valueOf(e.getKey()), j,
              s + " never got its own " + e.getValue() + " at seq " + e.getKey() + " (nor REMOVED): it still believes it is a member "
                  + streamSummary(s));
          break;
        }
        if (e.getValue().equals("join " + j.user)) {
          break;
        }
      }
    }
  }

  private boolean toldGone(History.Session s, long epoch, long seq) {
    for (RoomEvent e : s.events) {
      if (e instanceof RoomEvent.RoomDeleted) {
        return true;
      }
      // at the join's own seq only for a join through one more node (Joined.seq: then the first
      // seq the session receives, here the user's removal; seed 41, V14)
      if (e instanceof RoomEvent.MemberLeft l && l.user().value().equals(s.join.user) && (l.seq() == 0 || l.seq() >= s.join.seq)) {
        return true;
      }
      if (e instanceof RoomEvent.MessagesLost ml && (failover || ml.epoch() == epoch) && ml.fromSeq() <= seq && seq <= ml.toSeq()) {
        return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ resume

  private void checkResumes() {
    for (History.Session s : h.sessions) {
      History.Op j = s.join;
      if (s.options.mode() != JoinOptions.Mode.RESUME || j.outcome != History.Outcome.OK
          || !newRoomBetween(j.room, s.resumedFromIncarnation, j.incarnation)) {
        continue;
      }
      long history = s.events.stream().map(Checker::position).filter(Objects::nonNull).filter(p -> p[1] < j.seq).count();
      if (j.recovered || history > 0) {
        add(Kind.RESUME_ACROSS_INCARNATIONS, j.room + "#" + j.incarnation, s.options.epoch() + "/" + s.options.seq(), j,
            "resumed with a position of the deleted room of that name: recovered=" + j.recovered + ", " + history
                + " history entries of the new room delivered as if missed");
      }
    }
  }

  /** A one-line-per-anomaly summary, sorted by kind. */
  static String summary(List<Anomaly> anomalies) {
    StringBuilder b = new StringBuilder();
    anomalies.stream().sorted(Comparator.comparing(Anomaly::kind)).forEach(a -> b.append(a).append('\n'));
    return b.toString();
  }

  /**
   * Whether {@code op.user} may be a member just before {@code op.seq}: the observed log shows it
   * (its last join/leave before there is a join), or the log has an unobserved seq before the first
   * join/leave of the user found going back and an earlier join of the user in that room (same
   * incarnation) did not definitely fail.
   */
  private boolean mayBeMemberBefore(TreeMap<Long, String> log, History.Op op) {
    long expected = op.seq - 1;
    for (Map.Entry<Long, String> e : log.headMap(op.seq, false).descendingMap().entrySet()) {
      if (e.getKey() != expected) {
        return earlierJoinMayHaveTakenEffect(op);
      }
      String w = e.getValue();
      if (w.equals("join " + op.user)) {
        return true;
      }
      if (w.startsWith("leave " + op.user + " ")) {
        return false;
      }
      expected--;
    }
    return expected >= 1 && earlierJoinMayHaveTakenEffect(op);
  }


  /**
   * An earlier join of the same user and room that was acked in the same epoch or may have taken
   * effect (timeout, unavailable, pending). The harness's incarnation label is not compared: a
   * creation that failed UNAVAILABLE starts a new label although the room (its epoch) stayed the
   * same (seed 497 of the long run).
   */
  private boolean earlierJoinMayHaveTakenEffect(History.Op join) {
    for (History.Op o : h.ops) {
      if (o.id < join.id && o.kind.equals("join") && java.util.Objects.equals(o.user, join.user) && o.room.equals(join.room)
          && !o.definitelyFailed() && (o.outcome != History.Outcome.OK || o.epoch == join.epoch)) {
        return true;
      }
    }
    return false;
  }
}
