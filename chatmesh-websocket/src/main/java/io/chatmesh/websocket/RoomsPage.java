package io.chatmesh.websocket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.RoomSummary;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The {@code rooms} request is paged so that its reply stays small however many rooms exist: the
 * rooms sorted by name, those after the cursor {@code "after"} (a room name, exclusive), at most
 * {@code "limit"} of them (1..1000, default {@link GatewayLimits#roomsPageSize()}), and {@code
 * "next"} (the cursor of the next page) when there are more. Stateless; thread-safe.
 */
final class RoomsPage {
  private RoomsPage() {}

  static ObjectNode reply(List<RoomSummary> all, JsonNode request, int defaultSize, @Nullable JsonNode id) {
    String after = null;
    JsonNode a = request.get("after");
    if (a != null && !a.isNull()) {
      if (!a.isTextual() || a.asText().length() > io.chatmesh.Identifiers.MAX_LENGTH) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "field 'after' must be a room name (the 'next' of the previous page)");
      }
      after = a.asText();
    }
    int limit = defaultSize;
    JsonNode l = request.get("limit");
    if (l != null && !l.isNull()) {
      if (!l.isIntegralNumber() || !l.canConvertToInt() || l.asInt() < 1 || l.asInt() > GatewayLimits.MAX_ROOMS_PAGE) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "field 'limit' must be an integer 1.." + GatewayLimits.MAX_ROOMS_PAGE);
      }
      limit = l.asInt();
    }
    List<RoomSummary> sorted = new ArrayList<>(all);
    sorted.sort(Comparator.comparing(RoomSummary::name));
    List<RoomSummary> page = new ArrayList<>();
    String next = null;
    for (RoomSummary r : sorted) {
      if (after != null && r.name().compareTo(after) <= 0) {
        continue;
      }
      if (page.size() == limit) {
        next = page.get(page.size() - 1).name();
        break;
      }
      page.add(r);
    }
    return Frames.rooms(page, next, id);
  }
}
