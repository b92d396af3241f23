package io.chatmesh.websocket;

import io.chatmesh.ErrorCode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The live counters behind {@link GatewayStats}: one {@link LongAdder} per known key, looked up in
 * maps that never change after construction (no allocation when counting). Thread-safe.
 */
final class GatewayCounters {
  /** Request types a client may send, and the bucket for anything else. */
  static final List<String> IN_TYPES = List.of("hello", "rooms", "create", "join", "leave", "send", "delete", "invite", "uninvite", "history", "invalid");
  /** Frame types the gateway writes (see {@code Frames}), and the bucket for anything else. */
  static final List<String> OUT_TYPES =
      List.of(
          "welcome", "rooms", "created", "joined", "history", "left", "ack", "deleted", "invited", "uninvited", "message",
          "member_joined", "member_left", "lost", "unavailable", "available", "error", "other");

  final LongAdder connectionsOpened = new LongAdder();
  final LongAdder slowReaders = new LongAdder();
  private final Map<String, LongAdder> in = adders(IN_TYPES);
  private final Map<String, LongAdder> out = adders(OUT_TYPES);
  private final Map<String, LongAdder> errors = adders(codes());

  void frameIn(String type) {
    LongAdder a = in.get(type);
    (a != null ? a : in.get("invalid")).increment();
  }

  void frameOut(String type) {
    LongAdder a = out.get(type);
    (a != null ? a : out.get("other")).increment();
  }

  void error(String code) {
    LongAdder a = errors.get(code);
    if (a != null) {
      a.increment();
    }
  }

  GatewayStats snapshot(int connections) {
    return new GatewayStats(connections, connectionsOpened.sum(), sums(in), sums(out), sums(errors), slowReaders.sum());
  }

  private static List<String> codes() {
    return java.util.Arrays.stream(ErrorCode.values()).map(Enum::name).toList();
  }

  private static Map<String, LongAdder> adders(List<String> keys) {
    Map<String, LongAdder> m = new HashMap<>();
    for (String k : keys) {
      m.put(k, new LongAdder());
    }
    return Map.copyOf(m);
  }

  private static Map<String, Long> sums(Map<String, LongAdder> adders) {
    Map<String, Long> m = new HashMap<>();
    adders.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }
}
