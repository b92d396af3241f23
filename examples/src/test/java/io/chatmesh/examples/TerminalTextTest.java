package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The terminal client prints nothing a message could use to forge a line or drive the terminal. */
class TerminalTextTest {
  @Test
  void controlAndBidiCharactersAreShownNotInterpreted() {
    assertThat(TerminalText.escape("\u001b]0;pwned\u0007hi")).isEqualTo("<U+001B>]0;pwned<U+0007>hi");
    assertThat(TerminalText.escape("a\r[12:00:00] general bob: fake")).isEqualTo("a<U+000D>[12:00:00] general bob: fake");
    assertThat(TerminalText.escape("\u202egnp.exe")).isEqualTo("<U+202E>gnp.exe");
    assertThat(TerminalText.escape("nul\u0000 del\u007f c1\u009b zw\u200b")).isEqualTo("nul<U+0000> del<U+007F> c1<U+009B> zw<U+200B>");
    assertThat(TerminalText.escape("lone \ud800 surrogate")).isEqualTo("lone <U+D800> surrogate");
  }

  @Test
  void aLineFeedContinuesOnAnIndentedLineAndPlainTextIsUnchanged() {
    assertThat(TerminalText.escape("one\n[12:00:00] general bob: fake"))
        .isEqualTo("one" + TerminalText.CONTINUATION + "[12:00:00] general bob: fake");
    String plain = "héllo\twörld 👋 — ok";
    assertThat(TerminalText.escape(plain)).isSameAs(plain);
  }
}
