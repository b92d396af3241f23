package io.chatmesh.spi.transport;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class PeerTextTest {

  @Test
  void aHugeReasonIsCutAndSaysHowMuchWasDropped() {
    String s = PeerText.safe("x".repeat(4 << 20));
    assertThat(s).hasSizeLessThan(PeerText.MAX_CHARS + 40).endsWith("...(" + ((4 << 20) - PeerText.MAX_CHARS) + " more chars)");
  }

  @Test
  void lineBreaksControlAndDirectionCharactersAreEscapedSoTheyCannotForgeALogLine() {
    String s = PeerText.safe("bye\n12:00:00 ERROR forged\r\u001b[2J\u202eevil\u0000\\");
    assertThat(s).doesNotContain("\n", "\r", "\u001b", "\u202e", "\u0000")
        .isEqualTo("bye\\u000a12:00:00 ERROR forged\\u000d\\u001b[2J\\u202eevil\\u0000\\\\");
    assertThat(PeerText.safe(null)).isEqualTo("(null)");
    assertThat(PeerText.safe("n2:9091 ok")).isEqualTo("n2:9091 ok");
  }

  @Test
  void aRepeatedComplaintIsLoggedOncePerIntervalPerKey() {
    PeerText.Limited limited = new PeerText.Limited(LoggerFactory.getLogger(PeerTextTest.class), 60_000);
    assertThat(limited.warn("n2/hello", "first")).isTrue();
    assertThat(limited.warn("n2/hello", "again")).isFalse();
    assertThat(limited.warn("n3/hello", "another peer")).isTrue();
    PeerText.Limited never = new PeerText.Limited(LoggerFactory.getLogger(PeerTextTest.class), 0);
    assertThat(never.warn("k", "a")).isTrue();
  }
}
