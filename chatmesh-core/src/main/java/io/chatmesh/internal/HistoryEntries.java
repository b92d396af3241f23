package io.chatmesh.internal;

import io.chatmesh.spi.history.HistoryEntry;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.Sequenced;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts between the wire's log entries and the history SPI's, so the stored log never depends
 * on how the wire names things. Stateless; thread-safe.
 */
final class HistoryEntries {
  private HistoryEntries() {}

  static HistoryEntry toStored(Sequenced e) {
    return new HistoryEntry(
        e.room(), e.epoch(), e.seq(), kind(e.kind()), e.user(), e.text(), e.clientMessageId(), e.timestamp());
  }

  static Sequenced fromStored(HistoryEntry e) {
    return new Sequenced(
        e.room(), e.epoch(), e.seq(), kind(e.kind()), e.user(), e.text(), e.clientMessageId(), e.timestamp());
  }

  static List<HistoryEntry> toStored(List<Sequenced> entries) {
    List<HistoryEntry> out = new ArrayList<>(entries.size());
    for (Sequenced e : entries) {
      out.add(toStored(e));
    }
    return out;
  }

  static List<Sequenced> fromStored(List<HistoryEntry> entries) {
    List<Sequenced> out = new ArrayList<>(entries.size());
    for (HistoryEntry e : entries) {
      out.add(fromStored(e));
    }
    return out;
  }

  static HistoryEntry.Kind kind(EventKind k) {
    return switch (k) {
      case MESSAGE -> HistoryEntry.Kind.MESSAGE;
      case JOINED -> HistoryEntry.Kind.JOINED;
      case LEFT -> HistoryEntry.Kind.LEFT;
      case NODE_FAILED -> HistoryEntry.Kind.NODE_FAILED;
    };
  }

  static EventKind kind(HistoryEntry.Kind k) {
    return switch (k) {
      case MESSAGE -> EventKind.MESSAGE;
      case JOINED -> EventKind.JOINED;
      case LEFT -> EventKind.LEFT;
      case NODE_FAILED -> EventKind.NODE_FAILED;
    };
  }
}
