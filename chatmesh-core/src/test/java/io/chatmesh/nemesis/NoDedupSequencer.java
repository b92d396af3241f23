package io.chatmesh.nemesis;

import io.chatmesh.UserId;
import io.chatmesh.sequencer.Sequencer;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * A deliberately broken engine part for the checker's own test: the room sequencer with its dedup
 * window skipped (a retry with the same client message id is never recognised, so it is sequenced
 * again). Plugged into every node through {@code ChatNode.Builder.sequencers}. Not thread-safe
 * beyond what the wrapped sequencer is (a room's lane uses it).
 */
final class NoDedupSequencer implements Sequencer {
  private final Sequencer delegate;

  private NoDedupSequencer(Sequencer delegate) {
    this.delegate = delegate;
  }

  /** The factory to plug into a node. */
  static Sequencer create(long epoch, long lastSeq, int dedupWindow) {
    return new NoDedupSequencer(Sequencer.create(epoch, lastSeq, dedupWindow));
  }

  @Override
  public long epoch() {
    return delegate.epoch();
  }

  @Override
  public long lastSeq() {
    return delegate.lastSeq();
  }

  @Override
  public OptionalLong lookup(UserId user, String clientMessageId) {
    return OptionalLong.empty(); // the broken part: retries are never found
  }

  @Override
  public long next(UserId user, @Nullable String clientMessageId) {
    return delegate.next(user, null);
  }

  @Override
  public void remember(UserId user, String clientMessageId, long seq) {
    // nothing remembered
  }
}
