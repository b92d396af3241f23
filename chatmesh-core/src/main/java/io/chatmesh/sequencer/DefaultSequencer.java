package io.chatmesh.sequencer;

import io.chatmesh.UserId;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/** Counter plus an LRU map of recent client message ids. */
final class DefaultSequencer implements Sequencer {
  private final long epoch;
  private final int window;
  private final LinkedHashMap<Key, Long> recent;
  private long lastSeq;

  DefaultSequencer(long epoch, long lastSeq, int window) {
    if (epoch < 1 || lastSeq < 0 || window < 1) {
      throw new IllegalArgumentException("epoch >= 1, lastSeq >= 0, window >= 1 required");
    }
    this.epoch = epoch;
    this.lastSeq = lastSeq;
    this.window = window;
    this.recent =
        new LinkedHashMap<>(16, 0.75f, false) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<Key, Long> eldest) {
            return size() > DefaultSequencer.this.window;
          }
        };
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
    Long seq = recent.get(new Key(user, clientMessageId));
    return seq == null ? OptionalLong.empty() : OptionalLong.of(seq);
  }

  @Override
  public long next(UserId user, @Nullable String clientMessageId) {
    long seq = ++lastSeq;
    if (clientMessageId != null) {
      recent.put(new Key(user, clientMessageId), seq);
    }
    return seq;
  }

  private record Key(UserId user, String clientMessageId) {}
}
