package io.chatmesh.sequencer;

import io.chatmesh.UserId;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/** Counter plus a {@link DedupWindow} of recent client message ids. */
final class DefaultSequencer implements Sequencer {
  private static final long ABSENT = Long.MIN_VALUE;

  private final long epoch;
  private final DedupWindow recent;
  private long lastSeq;

  DefaultSequencer(long epoch, long lastSeq, int window) {
    if (epoch < 1 || lastSeq < 0 || window < 1) {
      throw new IllegalArgumentException("epoch >= 1, lastSeq >= 0, window >= 1 required");
    }
    this.epoch = epoch;
    this.lastSeq = lastSeq;
    this.recent = new DedupWindow(window);
  }

  @Override
  public long epoch() {
    return epoch;
  }

  @Override
  public long lastSeq() {
    return lastSeq;
  }

  @Override
  public OptionalLong lookup(UserId user, String clientMessageId) {
    long seq = recent.get(user, clientMessageId, ABSENT);
    return seq == ABSENT ? OptionalLong.empty() : OptionalLong.of(seq);
  }

  @Override
  public long next(UserId user, @Nullable String clientMessageId) {
    long seq = ++lastSeq;
    if (clientMessageId != null) {
      recent.put(user, clientMessageId, seq);
    }
    return seq;
  }

  @Override
  public void remember(UserId user, String clientMessageId, long seq) {
    recent.put(user, clientMessageId, seq);
  }
}
