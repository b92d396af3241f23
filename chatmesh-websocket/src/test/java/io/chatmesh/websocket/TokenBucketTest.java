package io.chatmesh.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenBucketTest {
  private final AtomicLong now = new AtomicLong(5_000_000_000L);

  @Test
  void allowsABurstOfTheRateThenRefillsSteadily() {
    TokenBucket b = new TokenBucket(10, now::get);
    for (int i = 0; i < 10; i++) {
      assertThat(b.tryAcquire()).as("token %d", i).isTrue();
    }
    assertThat(b.tryAcquire()).isFalse();
    now.addAndGet(99_000_000L); // 99 ms: not yet a whole token (100 ms each)
    assertThat(b.tryAcquire()).isFalse();
    now.addAndGet(1_000_000L);
    assertThat(b.tryAcquire()).isTrue();
    assertThat(b.tryAcquire()).isFalse();
  }

  @Test
  void aLongPauseSavesUpAtMostOneSecondOfTokens() {
    TokenBucket b = new TokenBucket(3, now::get);
    now.addAndGet(60_000_000_000L);
    int granted = 0;
    while (b.tryAcquire()) {
      granted++;
    }
    assertThat(granted).isEqualTo(3);
  }

  @Test
  void rejectsANonPositiveRate() {
    assertThatThrownBy(() -> new TokenBucket(0, now::get)).isInstanceOf(IllegalArgumentException.class);
  }
}
