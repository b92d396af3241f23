package io.chatmesh.spi.lease;

import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Wraps a {@link RoomLeases.Listener} so it hears only real changes: a new holder or epoch, or the
 * lease becoming free; the first state is always passed on, plain renewals and repeats are not.
 * Shared by the implementations' {@code observe}. Thread-safe (calls are serialized).
 */
public final class DistinctLeaseListener implements RoomLeases.Listener {
  private final RoomLeases.Listener target;
  private boolean told;
  private @Nullable Lease last;

  /**
   * Wraps {@code target}.
   *
   * @param target the listener to pass changes to
   */
  public DistinctLeaseListener(RoomLeases.Listener target) {
    this.target = Objects.requireNonNull(target, "target");
  }

  @Override
  public synchronized void changed(String room, Optional<Lease> current) {
    Lease now = current.orElse(null);
    boolean same = told
        && (last == null ? now == null : now != null && last.epoch() == now.epoch() && last.holder().equals(now.holder()));
    if (!same) {
      told = true;
      last = now;
      target.changed(room, current);
    }
  }
}
