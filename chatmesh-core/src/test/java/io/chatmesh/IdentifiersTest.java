package io.chatmesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class IdentifiersTest {
  private static final Pattern SPEC = Pattern.compile("(?!\\.+$)[A-Za-z0-9._-]+");

  @Test
  void identifierCheckAgreesWithTheDocumentedPattern() {
    String alphabet = "azAZ09._-/ :@#éü\u0000\t+~";
    Random random = new Random(42);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder sb = new StringBuilder();
      int len = random.nextInt(8);
      for (int j = 0; j < len; j++) {
        sb.append(random.nextBoolean() ? alphabet.charAt(random.nextInt(alphabet.length())) : (char) ('a' + random.nextInt(26)));
      }
      String s = sb.toString();
      assertThat(Identifiers.isIdentifier(s)).as("'%s'", s).isEqualTo(SPEC.matcher(s).matches());
    }
  }

  @Test
  void badIdentifiersAreRejectedNamingTheProblem() {
    assertThat(Identifiers.check("user id", "alice.B-2_x")).isEqualTo("alice.B-2_x");
    assertThatThrownBy(() -> Identifiers.check("user id", "al ice"))
        .isInstanceOf(ChatException.class)
        .hasMessageContaining("user id 'al ice' may only contain");
    assertThatThrownBy(() -> Identifiers.check("user id", "x".repeat(65))).hasMessageContaining("65 characters");
  }

  @Test
  void namesMadeOnlyOfDotsAreRefused() {
    for (String dots : new String[] {".", "..", "..."}) {
      assertThat(Identifiers.isIdentifier(dots)).as(dots).isFalse();
      assertThatThrownBy(() -> Identifiers.check("room name", dots))
          .isInstanceOf(ChatException.class)
          .hasMessageContaining("only of dots");
    }
    assertThat(Identifiers.check("room name", ".a.")).isEqualTo(".a.");
  }
}
