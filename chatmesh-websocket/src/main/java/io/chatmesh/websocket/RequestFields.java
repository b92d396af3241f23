package io.chatmesh.websocket;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.JoinOptions;
import org.jspecify.annotations.Nullable;

/**
 * Reads and checks the fields of one client request (a JSON object, see {@code PROTOCOL.md}): the
 * request {@code id}, string and integer fields, and the history options of a {@code join}. A field
 * that is missing or has the wrong type or range fails with {@link ChatException} {@link
 * ErrorCode#BAD_REQUEST} naming the field and what it must be.
 *
 * <p>Stateless; thread-safe (called on each connection's event loop).
 */
final class RequestFields {
  /** The longest string a request {@code id} may be. */
  static final int MAX_ID_LENGTH = 128;

  private RequestFields() {}

  /**
   * Whether {@code id} is a request id the gateway echoes: a non-empty string of at most {@link
   * #MAX_ID_LENGTH} characters without forbidden characters ({@link InputRules}), or an integer that
   * fits a long.
   */
  static boolean validId(JsonNode id) {
    return (id.isTextual() && id.asText().length() <= MAX_ID_LENGTH && !id.asText().isEmpty()
            && InputRules.firstForbidden(id.asText()) < 0)
        || (id.isIntegralNumber() && id.canConvertToLong());
  }

  static String requiredString(JsonNode request, String field) {
    JsonNode n = request.get(field);
    if (n == null || !n.isTextual()) {
      throw bad("field '" + field + "' is required (a string)");
    }
    return n.asText();
  }

  /** A string field that may be missing or null. */
  static @Nullable String optionalString(JsonNode request, String field) {
    JsonNode n = request.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw bad("field '" + field + "' must be a string");
    }
    return n.asText();
  }

  /** An optional integer field in {@code min..}{@link InputRules#MAX_SEQ}, checked before any arithmetic. */
  static @Nullable Long optionalLong(JsonNode request, String field, long min) {
    JsonNode n = request.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!(n.isIntegralNumber() && n.canConvertToLong())) {
      throw bad("field '" + field + "' must be an integer of at least " + min);
    }
    return InputRules.checkSeq(field, n.asLong(), min);
  }

  /**
   * The history a {@code join} asks for: {@code since} (+ {@code epoch} = resume) or {@code last}
   * (at most {@code maxJoinHistory}); none of them = no history.
   */
  static JoinOptions joinOptions(JsonNode request, int maxJoinHistory) {
    Long since = optionalLong(request, "since", 0);
    Long epoch = optionalLong(request, "epoch", 1);
    Long last = optionalLong(request, "last", 1);
    if (last != null && (since != null || epoch != null)) {
      throw bad("field 'last' cannot be combined with 'since' or 'epoch'");
    }
    if (last != null) {
      if (last > maxJoinHistory) {
        throw bad("field 'last' must be at most " + maxJoinHistory
            + " (maxJoinHistory); read older messages page by page with 'history'");
      }
      return JoinOptions.last(last.intValue());
    }
    if (epoch != null) {
      if (since == null) {
        throw bad("field 'epoch' needs 'since' (the seq of the last event seen)");
      }
      return JoinOptions.resume(epoch, since);
    }
    return since == null ? JoinOptions.none() : JoinOptions.since(since);
  }

  static ChatException bad(String message) {
    return new ChatException(ErrorCode.BAD_REQUEST, message);
  }

  /** {@code s} cut to 64 characters (and an ellipsis), for echoing client input in a message. */
  static String truncate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "…";
  }
}
