package io.chatmesh.websocket;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatmesh.ChatMessage;
import io.chatmesh.Joined;
import io.chatmesh.RoomEvent;
import io.chatmesh.RoomSummary;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The JSON frames of the protocol (PROTOCOL.md), built as Jackson trees. Stateless; thread-safe.
 */
final class Frames {
  /**
   * Rejects duplicate keys ({@code {"id":"a","id":"b"}} is malformed, not silently "b") and data
   * after the object ({@code {"type":"rooms"} xyz} is malformed, not a {@code rooms} request).
   */
  static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private Frames() {}

  static String write(ObjectNode frame) {
    try {
      return MAPPER.writeValueAsString(frame);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a JSON tree: " + e, e);
    }
  }

  static ObjectNode frame(String type, @Nullable JsonNode id) {
    ObjectNode n = F.objectNode();
    n.put("type", type);
    if (id != null) {
      n.set("id", id);
    }
    return n;
  }

  static ObjectNode error(String code, String message, @Nullable JsonNode id) {
    ObjectNode n = frame("error", id);
    n.put("code", code);
    n.put("message", message);
    return n;
  }

  static ObjectNode welcome(String node, String user, @Nullable JsonNode id) {
    ObjectNode n = frame("welcome", id);
    n.put("node", node);
    n.put("user", user);
    return n;
  }

  /** A page of the room list; {@code next} (the cursor for the next page) only if there are more. */
  static ObjectNode rooms(List<RoomSummary> rooms, @Nullable String next, @Nullable JsonNode id) {
    ObjectNode n = frame("rooms", id);
    if (next != null) {
      n.put("next", next);
    }
    ArrayNode a = n.putArray("rooms");
    for (RoomSummary r : rooms) {
      ObjectNode o = a.addObject();
      o.put("room", r.name());
      o.put("admin", r.admin().value());
      o.put("members", r.memberCount());
      o.put("available", r.available());
      o.put("epoch", r.epoch());
    }
    return n;
  }

  static ObjectNode created(String room, String admin, String owner, boolean isPrivate, @Nullable JsonNode id) {
    ObjectNode n = frame("created", id);
    n.put("room", room);
    n.put("admin", admin);
    n.put("owner", owner);
    n.put("private", isPrivate);
    return n;
  }

  /** The reply to {@code invite} ({@code type} "invited") or {@code uninvite} ("uninvited"). */
  static ObjectNode invited(String type, String room, String user, @Nullable JsonNode id) {
    ObjectNode n = frame(type, id);
    n.put("room", room);
    n.put("user", user);
    return n;
  }

  static ObjectNode joined(Joined j, @Nullable JsonNode id) {
    ObjectNode n = frame("joined", id);
    n.put("room", j.room());
    n.put("admin", j.admin().value());
    n.put("seq", j.seq());
    n.put("epoch", j.epoch());
    n.put("recovered", j.recovered());
    ArrayNode m = n.putArray("members");
    for (UserId u : j.members()) {
      m.add(u.value());
    }
    return n;
  }

  /** The answer to a history request: the messages, ascending by seq, as message frames. */
  static ObjectNode history(String room, java.util.List<ChatMessage> messages, @Nullable JsonNode id) {
    ObjectNode n = frame("history", id);
    n.put("room", room);
    ArrayNode a = n.putArray("messages");
    for (ChatMessage m : messages) {
      ObjectNode e = event(m);
      e.remove("type");
      a.add(e);
    }
    return n;
  }

  static ObjectNode left(String room, @Nullable JsonNode id) {
    ObjectNode n = frame("left", id);
    n.put("room", room);
    return n;
  }

  static ObjectNode ack(Sent s, @Nullable JsonNode id) {
    ObjectNode n = frame("ack", id);
    n.put("room", s.room());
    n.put("seq", s.seq());
    n.put("epoch", s.epoch());
    n.put("duplicate", s.duplicate());
    return n;
  }

  static ObjectNode deleted(String room, @Nullable String reason, @Nullable JsonNode id) {
    ObjectNode n = frame("deleted", id);
    n.put("room", room);
    if (reason != null) {
      n.put("reason", reason);
    }
    return n;
  }

  /** About the bytes an event holds in memory (its text, one byte a character, plus overhead). */
  static long estimatedBytes(RoomEvent event) {
    long fixed = 256 + 3L * event.room().length();
    return event instanceof ChatMessage m ? fixed + m.text().length() : fixed;
  }

  /** The event frame for a room event. */
  static ObjectNode event(RoomEvent event) {
    if (event instanceof ChatMessage m) {
      ObjectNode n = frame("message", null);
      n.put("room", m.room());
      n.put("seq", m.seq());
      n.put("epoch", m.epoch());
      n.put("user", m.user().value());
      n.put("text", m.text());
      if (m.clientMessageId() != null) {
        n.put("id", m.clientMessageId());
      }
      n.put("ts", m.timestamp());
      return n;
    } else if (event instanceof RoomEvent.MemberJoined j) {
      ObjectNode n = frame("member_joined", null);
      n.put("room", j.room());
      n.put("user", j.user().value());
      n.put("seq", j.seq());
      n.put("epoch", j.epoch());
      n.put("ts", j.timestamp());
      return n;
    } else if (event instanceof RoomEvent.MemberLeft l) {
      ObjectNode n = frame("member_left", null);
      n.put("room", l.room());
      n.put("user", l.user().value());
      n.put("seq", l.seq());
      n.put("epoch", l.epoch());
      n.put("reason", l.reason().name());
      n.put("ts", l.timestamp());
      return n;
    } else if (event instanceof RoomEvent.MessagesLost g) {
      ObjectNode n = frame("lost", null);
      n.put("room", g.room());
      n.put("from", g.fromSeq());
      n.put("to", g.toSeq());
      n.put("epoch", g.epoch());
      return n;
    } else if (event instanceof RoomEvent.RoomUnavailable u) {
      ObjectNode n = frame("unavailable", null);
      n.put("room", u.room());
      n.put("reason", u.reason());
      return n;
    } else if (event instanceof RoomEvent.RoomAvailable a) {
      ObjectNode n = frame("available", null);
      n.put("room", a.room());
      n.put("admin", a.admin().value());
      n.put("epoch", a.epoch());
      return n;
    } else if (event instanceof RoomEvent.RoomDeleted d) {
      return deleted(d.room(), d.reason(), null);
    }
    throw new IllegalArgumentException("unknown room event " + event.getClass().getName());
  }
}
