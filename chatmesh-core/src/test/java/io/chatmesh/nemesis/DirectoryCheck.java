package io.chatmesh.nemesis;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The {@link Checker}'s checks of names and directories: two creations of one name with no deletion
 * between, and the end state a bounded time after every fault stopped (every node lists the same
 * rooms with the same admin, each admin serves what it is listed for, nothing acked as deleted is
 * still listed).
 */
final class DirectoryCheck {
  /** Where anomalies go. */
  @FunctionalInterface
  interface Sink {
    void add(Checker.Kind kind, String room, String seqs, History.@Nullable Op first, String detail);
  }

  private DirectoryCheck() {}

  static void check(History h, Sink add) {
    Map<String, History.Op> lastCreate = new HashMap<>();
    Map<String, History.Op> lastDelete = new HashMap<>();
    for (History.Op op : h.ops) {
      if (op.outcome != History.Outcome.OK) {
        continue;
      }
      if (op.kind.equals("create")) {
        History.Op prev = lastCreate.get(op.room);
        History.Op del = lastDelete.get(op.room);
        if (prev != null && (del == null || del.completedTick < prev.completedTick)) {
          add.add(Checker.Kind.TWO_ROOMS_ONE_NAME, op.room, "-", prev, "created again by " + op + " with no deletion in between");
        }
        lastCreate.put(op.room, op);
      } else if (op.kind.equals("delete")) {
        lastDelete.put(op.room, op);
      }
    }
    if (!h.directoryConverged) {
      add.add(Checker.Kind.DIRECTORY_NOT_CONVERGED, "*", "-", null, "node directories still differ: " + h.directoryNote);
    }
    // a node whose directory is empty has no entry: without finalNodes it would not count at all
    Set<String> nodes = new TreeSet<>(h.finalNodes);
    Map<String, Map<String, String>> byRoom = new TreeMap<>();
    for (History.DirectoryEntry e : h.finalDirectory) {
      nodes.add(e.node());
    }
    for (History.DirectoryEntry e : h.finalDirectory) {
      byRoom.computeIfAbsent(e.room(), k -> new LinkedHashMap<>()).put(e.node(), e.admin() + (e.available() ? "" : " (unavailable)"));
    }
    for (Map.Entry<String, Map<String, String>> r : byRoom.entrySet()) {
      String room = r.getKey();
      Map<String, String> seen = r.getValue();
      Set<String> admins = new TreeSet<>(seen.values());
      History.Op first = lastCreate.get(room);
      if (admins.size() > 1) {
        List<String> selfAdmins = seen.entrySet().stream().filter(e -> e.getKey().equals(e.getValue())).map(Map.Entry::getKey).toList();
        add.add(selfAdmins.size() > 1 ? Checker.Kind.TWO_ROOMS_ONE_NAME : Checker.Kind.DIRECTORY_NOT_CONVERGED, room, "-", first,
            "nodes list it with different admins at the end: " + seen);
      }
      if (!seen.keySet().equals(nodes)) {
        History.Op del = lastDelete.get(room);
        boolean deletion = h.ops.stream().anyMatch(o -> o.kind.equals("delete") && o.room.equals(room));
        add.add(deletion ? Checker.Kind.MIXED_2PC : Checker.Kind.DIRECTORY_NOT_CONVERGED, room, "-", del != null ? del : first,
            "listed by " + seen + " but not by the other nodes of " + nodes + (deletion ? " after a deletion" : ""));
      }
      for (Map.Entry<String, String> e : seen.entrySet()) {
        String admin = e.getValue().split(" ")[0];
        if (nodes.contains(admin) && !seen.containsKey(admin)) {
          add.add(Checker.Kind.DIRECTORY_NOT_CONVERGED, room, "-", first, e.getKey() + " lists admin " + admin + ", which does not list the room");
        }
        if (e.getValue().endsWith("(unavailable)") && nodes.contains(admin)) {
          add.add(Checker.Kind.DIRECTORY_NOT_CONVERGED, room, "-", first, e.getKey() + " still lists it unavailable though " + admin + " is up");
        }
      }
    }
    History.Op del;
    for (Map.Entry<String, History.Op> d : lastDelete.entrySet()) {
      del = d.getValue();
      History.Op deleted = del;
      boolean recreated = h.ops.stream().anyMatch(o -> o.kind.equals("create") && o.room.equals(d.getKey())
          && o.invokedTick > deleted.completedTick && !o.definitelyFailed());
      if (!recreated && byRoom.containsKey(d.getKey())) {
        add.add(Checker.Kind.MIXED_2PC, d.getKey(), "-", del, "deleted (acked) but still listed at the end by " + byRoom.get(d.getKey()));
      }
    }
  }
}
