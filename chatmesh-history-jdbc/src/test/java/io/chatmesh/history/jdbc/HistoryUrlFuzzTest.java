package io.chatmesh.history.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.testkit.Fuzz;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the parser of the demo's {@code --history} URL ({@link HistoryUrls#toJdbcUrl}, reached
 * through {@code JdbcHistoryStore.forUrl}) with random strings and mutated valid URLs (issue 11).
 * Property: the result is a {@code jdbc:} URL or the failure is BAD_REQUEST with a message that
 * never shows a password given in the input. 2,000 tries per property by default; {@code
 * -Dchatmesh.fuzz.tries=100000} for the full run ({@link Fuzz}).
 */
class HistoryUrlFuzzTest {
  private static final List<String> VALID = List.of(
    "h2:./data", "h2:/tmp/x", "postgresql://u:s3cretPW@db:5432/chat?sslmode=require", "postgres://db/chat",
    "postgresql://db:26257/chat?user=u&password=s3cretPW", "jdbc:h2:mem:x");

  /** A valid URL with up to four separators or control characters spliced in and up to three cut. */
  static String mutatedUrl(Random r) {
    return Fuzz.splice(Fuzz.pick(r, VALID), r, ":/@?&=;%#\\ .\u0000\n", 4, 3);
  }

  @Test
  void randomStringsGiveAJdbcUrlOrBadRequest() {
    Fuzz.forAll(r -> Fuzz.string(r, 120), HistoryUrlFuzzTest::check);
  }

  @Test
  void mutatedUrlsGiveAJdbcUrlOrBadRequestWithoutThePassword() {
    Fuzz.forAll(HistoryUrlFuzzTest::mutatedUrl, HistoryUrlFuzzTest::check);
  }

  private static void check(String spec) {
    try {
      assertThat(HistoryUrls.toJdbcUrl(spec)).startsWith("jdbc:");
    } catch (ChatException e) {
      assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
      assertThat(e.detail()).isNotBlank().doesNotContain("s3cretPW");
    }
  }
}
