package io.chatmesh.spi.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.UserId;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class HistoryEntryTest {
  private static final UserId BOB = UserId.of("bob");

  /** Stores persist these numbers: changing one changes the meaning of every stored log. */
  @Test
  void storageCodesAreFixed() {
    assertThat(Arrays.stream(HistoryEntry.Kind.values()).collect(java.util.stream.Collectors.toMap(k -> k, HistoryEntry.Kind::code)))
        .isEqualTo(
            Map.of(
                HistoryEntry.Kind.MESSAGE, 1,
                HistoryEntry.Kind.JOINED, 2,
                HistoryEntry.Kind.LEFT, 3,
                HistoryEntry.Kind.NODE_FAILED, 4,
                HistoryEntry.Kind.SETTINGS, 5,
                HistoryEntry.Kind.INVITED, 6,
                HistoryEntry.Kind.UNINVITED, 7));
    for (HistoryEntry.Kind k : HistoryEntry.Kind.values()) {
      assertThat(HistoryEntry.Kind.fromCode(k.code())).isSameAs(k);
    }
  }

  @Test
  void anUnknownCodeIsReportedNotGuessed() {
    for (int code : new int[] {0, -1, 8, 99, Integer.MAX_VALUE}) {
      assertThatThrownBy(() -> HistoryEntry.Kind.fromCode(code))
          .isInstanceOfSatisfying(ChatException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
            assertThat(e.detail()).contains("unknown kind code " + code);
          });
    }
  }

  @Test
  void invalidFieldsAreRejectedNamingTheProblem() {
    Map<String, Supplier<HistoryEntry>> bad =
        Map.of(
            "room must not be null", () -> new HistoryEntry(null, 1, 1, HistoryEntry.Kind.MESSAGE, BOB, "", null, 0),
            "room must not be blank", () -> new HistoryEntry(" ", 1, 1, HistoryEntry.Kind.MESSAGE, BOB, "", null, 0),
            "seq 0", () -> new HistoryEntry("r", 1, 0, HistoryEntry.Kind.MESSAGE, BOB, "", null, 0),
            "negative epoch -1", () -> new HistoryEntry("r", -1, 1, HistoryEntry.Kind.MESSAGE, BOB, "", null, 0),
            "null kind", () -> new HistoryEntry("r", 1, 1, null, BOB, "", null, 0),
            "null kind, user", () -> new HistoryEntry("r", 1, 1, HistoryEntry.Kind.MESSAGE, null, "", null, 0),
            "user or text", () -> new HistoryEntry("r", 1, 1, HistoryEntry.Kind.MESSAGE, BOB, null, null, 0));
    bad.forEach(
        (detail, make) ->
            assertThatThrownBy(make::get)
                .as(detail)
                .isInstanceOfSatisfying(ChatException.class, e -> {
                  assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
                  assertThat(e.detail()).contains(detail);
                }));
    assertThat(new HistoryEntry("r", 0, 1, HistoryEntry.Kind.JOINED, BOB, "", null, 0).epoch()).isZero();
  }
}
