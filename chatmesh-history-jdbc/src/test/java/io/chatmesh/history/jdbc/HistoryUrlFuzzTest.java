package io.chatmesh.history.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Fuzzes the parser of the demo's {@code --history} URL ({@link HistoryUrls#toJdbcUrl}, reached
 * through {@code JdbcHistoryStore.forUrl}) with random strings and mutated valid URLs (issue 11).
 * Property: the result is a {@code jdbc:} URL or the failure is BAD_REQUEST with a message that
 * never shows a password given in the input. 2,000 tries per property by default; {@code
 * -Djqwik.tries.default=100000} for the full run.
 */
class HistoryUrlFuzzTest {
  private static final String[] VALID = {
    "h2:./data", "h2:/tmp/x", "postgresql://u:s3cretPW@db:5432/chat?sslmode=require", "postgres://db/chat",
    "postgresql://db:26257/chat?user=u&password=s3cretPW", "jdbc:h2:mem:x",
  };

  @Provide
  Arbitrary<String> randomStrings() {
    return Arbitraries.strings().all().ofMaxLength(120);
  }

  @Provide
  Arbitrary<String> mutatedUrls() {
    return Combinators.combine(
            Arbitraries.of(VALID),
            Arbitraries.integers().between(0, 119),
            Arbitraries.strings().withChars(":/@?&=;%#\\ .\u0000\n").ofMinLength(0).ofMaxLength(4),
            Arbitraries.integers().between(0, 3))
        .as((url, at, insert, cut) -> {
          int i = Math.min(at, url.length());
          String s = url.substring(0, i) + insert + url.substring(Math.min(url.length(), i + cut));
          return s;
        });
  }

  @Property
  void randomStringsGiveAJdbcUrlOrBadRequest(@ForAll("randomStrings") String spec) {
    check(spec);
  }

  @Property
  void mutatedUrlsGiveAJdbcUrlOrBadRequestWithoutThePassword(@ForAll("mutatedUrls") String spec) {
    check(spec);
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
