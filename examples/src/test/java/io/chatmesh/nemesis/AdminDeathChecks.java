package io.chatmesh.nemesis;

import io.chatmesh.ChatMessage;
import io.chatmesh.RoomEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the documentation promises when a room's admin dies (no failover yet): acked messages are
 * in its durable history after its restart, and the room's members are told. Checked on a
 * {@link ProcessNemesis} run besides the {@link Checker}; anomalies of kind LOST with a detail
 * naming which promise failed.
 */
final class AdminDeathChecks {
  /** A fault the other nodes noticed: {@code node} (admin of {@code room}) killed or paused at tick {@code began}, listed unavailable by them at {@code declared}. */
  record Noticed(String node, String room, long began, long declared) {}

  private AdminDeathChecks() {}

  static List<Checker.Anomaly> check(History history, List<History.Op> finalPages, List<Noticed> noticed) {
    List<Checker.Anomaly> out = new ArrayList<>();
    durable(history, finalPages, out);
    told(history, noticed, out);
    return out;
  }

  /**
   * The durability the admin's JDBC history promises across its restarts: every acked message is
   * at its acked (epoch, seq) in the admin's stored history read at the end, as a LOST anomaly
   * otherwise (the checker's log checks see the pages too: what they hold must agree).
   */
  private static void durable(History history, List<History.Op> finalPages, List<Checker.Anomaly> out) {
    Map<String, Map<Long, ChatMessage>> stored = new HashMap<>();
    Set<String> unread = new TreeSet<>();
    for (History.Op p : finalPages) {
      if (p.outcome != History.Outcome.OK) {
        unread.add(p.room);
      }
      p.page.forEach(m -> stored.computeIfAbsent(p.room, k -> new HashMap<>()).put(m.seq(), m));
    }
    for (History.Op op : history.ops) {
      if (!op.kind.equals("send") || op.outcome != History.Outcome.OK || unread.contains(op.room)) {
        continue;
      }
      ChatMessage m = stored.getOrDefault(op.room, Map.of()).get(op.seq);
      if (m == null || m.epoch() != op.epoch || !m.text().equals(op.text)) {
        out.add(new Checker.Anomaly(Checker.Kind.LOST, history.seed, op.room + "#1/e" + op.epoch, String.valueOf(op.seq), op.toString(),
            "acked, but the admin's stored history at the end has " + (m == null ? "nothing" : m) + " there", history.replay));
      }
    }
    for (String room : unread) {
      out.add(new Checker.Anomaly(Checker.Kind.NEVER_COMPLETED, history.seed, room, "-", "-",
          "the final read of the admin's stored history failed: " + finalPages, history.replay));
    }
  }

  /**
   * "A dead admin's rooms become unavailable for their members (RoomUnavailable)": once the other
   * nodes listed a killed or paused admin's room unavailable, every member session of that room
   * through another node, joined before the fault, still a member then (not told its removal) and
   * not ended before that moment, has been told
   * (unavailable, deleted, or its own removal) after the fault began; a LOST anomaly otherwise
   * (the members' notification was lost).
   */
  private static void told(History history, List<Noticed> noticed, List<Checker.Anomaly> out) {
    for (Noticed d : noticed) {
      String node = d.node();
      String room = d.room();
      for (History.Session s : history.sessions) {
        History.Op j = s.join;
        if (!j.room.equals(room) || j.node.equals(node) || j.outcome != History.Outcome.OK || j.completedTick > d.began() || s.endedTick < d.declared()) {
          continue;
        }
        boolean told = false;
        boolean goneBefore = false;
        for (int i = 0; i < s.events.size() && !told; i++) {
          RoomEvent e = s.events.get(i);
          boolean gone = e instanceof RoomEvent.RoomDeleted
              || e instanceof RoomEvent.MemberLeft l && l.user().value().equals(j.user) && (l.seq() == 0 || l.seq() > j.seq);
          goneBefore |= gone && s.eventTicks.get(i) <= d.began(); // no longer a member when the fault began: nothing to tell
          told = s.eventTicks.get(i) > d.began() && (gone || e instanceof RoomEvent.RoomUnavailable);
        }
        if (!told && !goneBefore) {
          out.add(new Checker.Anomaly(Checker.Kind.LOST, history.seed, room + "#1", "-", j.toString(),
              s + " was never told that its admin " + node + " was dead (no unavailable, deleted or own member_left after tick " + d.began()
                  + "; others listed the room unavailable at tick " + d.declared() + ") " + Checker.streamSummary(s), history.replay));
        }
      }
    }
  }
}
