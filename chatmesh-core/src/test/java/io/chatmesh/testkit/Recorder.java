package io.chatmesh.testkit;

import io.chatmesh.ChatMessage;
import io.chatmesh.RoomEvent;
import io.chatmesh.RoomListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link RoomListener} that records every event, for assertions. Thread-safe. */
public final class Recorder implements RoomListener {
  private final List<RoomEvent> events = new CopyOnWriteArrayList<>();

  @Override
  public void onEvent(RoomEvent event) {
    events.add(event);
  }

  /** Every event so far. */
  public List<RoomEvent> events() {
    return List.copyOf(events);
  }

  /** Chat messages so far. */
  public List<ChatMessage> messages() {
    List<ChatMessage> out = new ArrayList<>();
    for (RoomEvent e : events) {
      if (e instanceof ChatMessage m) {
        out.add(m);
      }
    }
    return out;
  }

  /** Texts of the chat messages so far, in delivery order. */
  public List<String> texts() {
    return messages().stream().map(ChatMessage::text).toList();
  }

  /** Seqs of every sequenced event (messages, joins, leaves) so far, in delivery order. */
  public List<Long> seqs() {
    List<Long> out = new ArrayList<>();
    for (RoomEvent e : events) {
      if (e instanceof ChatMessage m) {
        out.add(m.seq());
      } else if (e instanceof RoomEvent.MemberJoined j) {
        out.add(j.seq());
      } else if (e instanceof RoomEvent.MemberLeft l && l.seq() > 0) {
        out.add(l.seq());
      }
    }
    return out;
  }

  /** Events of one type. */
  public <T extends RoomEvent> List<T> of(Class<T> type) {
    return events.stream().filter(type::isInstance).map(type::cast).toList();
  }
}
