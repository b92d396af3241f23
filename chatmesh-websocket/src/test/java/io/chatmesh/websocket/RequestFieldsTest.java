package io.chatmesh.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.JoinOptions;
import org.junit.jupiter.api.Test;

/** The field checks of client requests, without a connection. */
class RequestFieldsTest {
  private static JsonNode json(String text) throws Exception {
    return Frames.MAPPER.readTree(text);
  }

  private static void refused(Runnable read, String detail) {
    assertThatThrownBy(read::run)
        .isInstanceOfSatisfying(ChatException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
          assertThat(e.detail()).isEqualTo(detail);
        });
  }

  @Test
  void joinOptionsFromSinceEpochAndLast() throws Exception {
    assertThat(RequestFields.joinOptions(json("{}"), 100)).isEqualTo(JoinOptions.none());
    assertThat(RequestFields.joinOptions(json("{\"since\":0,\"epoch\":null}"), 100)).isEqualTo(JoinOptions.since(0));
    assertThat(RequestFields.joinOptions(json("{\"since\":7,\"epoch\":3}"), 100)).isEqualTo(JoinOptions.resume(3, 7));
    assertThat(RequestFields.joinOptions(json("{\"last\":100}"), 100)).isEqualTo(JoinOptions.last(100));
  }

  @Test
  void joinOptionsRefuseContradictionsAndTooMuchHistory() throws Exception {
    JsonNode both = json("{\"last\":5,\"since\":1}");
    refused(() -> RequestFields.joinOptions(both, 100), "field 'last' cannot be combined with 'since' or 'epoch'");
    JsonNode epochOnly = json("{\"epoch\":2}");
    refused(() -> RequestFields.joinOptions(epochOnly, 100), "field 'epoch' needs 'since' (the seq of the last event seen)");
    JsonNode tooMany = json("{\"last\":101}");
    refused(() -> RequestFields.joinOptions(tooMany, 100),
        "field 'last' must be at most 100 (maxJoinHistory); read older messages page by page with 'history'");
  }

  @Test
  void optionalLongChecksTypeAndRangeBeforeArithmetic() throws Exception {
    assertThat(RequestFields.optionalLong(json("{\"n\":null}"), "n", 1)).isNull();
    assertThat(RequestFields.optionalLong(json("{\"n\":9007199254740991}"), "n", 1)).isEqualTo(InputRules.MAX_SEQ);
    JsonNode fraction = json("{\"n\":1.5}");
    refused(() -> RequestFields.optionalLong(fraction, "n", 1), "field 'n' must be an integer of at least 1");
    JsonNode huge = json("{\"n\":9223372036854775807}");
    refused(() -> RequestFields.optionalLong(huge, "n", 1), "field 'n' must be 1.." + InputRules.MAX_SEQ + ", was 9223372036854775807");
    JsonNode zero = json("{\"n\":0}");
    refused(() -> RequestFields.optionalLong(zero, "n", 1), "field 'n' must be 1.." + InputRules.MAX_SEQ + ", was 0");
  }

  @Test
  void stringFieldsMustBeStrings() throws Exception {
    JsonNode request = json("{\"room\":\"lobby\",\"user\":3}");
    assertThat(RequestFields.requiredString(request, "room")).isEqualTo("lobby");
    assertThat(RequestFields.optionalString(request, "token")).isNull();
    refused(() -> RequestFields.requiredString(request, "text"), "field 'text' is required (a string)");
    refused(() -> RequestFields.optionalString(request, "user"), "field 'user' must be a string");
  }

  @Test
  void requestIdsAreShortCleanStringsOrIntegers() throws Exception {
    assertThat(RequestFields.validId(json("\"a-1\""))).isTrue();
    assertThat(RequestFields.validId(json("42"))).isTrue();
    assertThat(RequestFields.validId(json("\"" + "x".repeat(RequestFields.MAX_ID_LENGTH) + "\""))).isTrue();
    assertThat(RequestFields.validId(json("\"" + "x".repeat(RequestFields.MAX_ID_LENGTH + 1) + "\""))).isFalse();
    assertThat(RequestFields.validId(json("\"\""))).isFalse();
    assertThat(RequestFields.validId(json("\"a\\u001bb\""))).as("ESC").isFalse();
    assertThat(RequestFields.validId(json("1.5"))).isFalse();
    assertThat(RequestFields.validId(json("true"))).isFalse();
  }

  @Test
  void truncateKeepsSixtyFourCharacters() {
    assertThat(RequestFields.truncate("x".repeat(64))).isEqualTo("x".repeat(64));
    assertThat(RequestFields.truncate("x".repeat(65))).isEqualTo("x".repeat(64) + "…");
  }
}
