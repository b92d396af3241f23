package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Compose health check's exit codes, against real demo nodes. */
@Timeout(60)
class HttpCheckTest {
  @Test
  void zeroOnlyWhenTheNodeIsReady() {
    try (DemoNode alone = DemoNode.start("n1", "127.0.0.1", 0, 0, List.of(), Duration.ofSeconds(2))) {
      await().atMost(Duration.ofSeconds(20)).until(() -> HttpCheck.check(new String[] {alone.httpUrl() + "/readyz"}) == 0);
      assertThat(HttpCheck.check(new String[] {alone.httpUrl() + "/healthz"})).isZero();
      assertThat(HttpCheck.check(new String[] {alone.httpUrl() + "/no-such-page"})).isEqualTo(1);
    }
  }

  @Test
  void oneWhileTheNodeHasNotMetItsSeeds() {
    // port 1 on loopback: nothing listens, the seed is never met
    try (DemoNode waiting = DemoNode.start("n2", "127.0.0.1", 0, 0, List.of("127.0.0.1:1"), Duration.ofSeconds(2))) {
      assertThat(HttpCheck.check(new String[] {waiting.httpUrl() + "/healthz"})).isZero();
      assertThat(HttpCheck.check(new String[] {waiting.httpUrl() + "/readyz"})).isEqualTo(1);
    }
  }

  @Test
  void oneWhenNothingListensAndTwoForAWrongArgument() throws Exception {
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    assertThat(HttpCheck.check(new String[] {"http://127.0.0.1:" + closedPort + "/readyz"})).isEqualTo(1);
    assertThat(HttpCheck.check(new String[] {})).isEqualTo(2);
    assertThat(HttpCheck.check(new String[] {"a", "b"})).isEqualTo(2);
    assertThat(HttpCheck.check(new String[] {"ftp://127.0.0.1/readyz"})).isEqualTo(2);
    assertThat(HttpCheck.check(new String[] {"not a url"})).isEqualTo(2);
  }
}
