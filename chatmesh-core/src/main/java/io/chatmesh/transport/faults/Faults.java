package io.chatmesh.transport.faults;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.time.Duration;

/**
 * Random faults a {@link FaultInjector} applies to envelopes between two different nodes (on every
 * link, or on one directed link). Each envelope's fate is drawn from the injector's seed and the
 * envelope's position on its link, so the same seed and the same sends give the same fate.
 * Immutable; thread-safe. Build with {@link #builder()}; {@link #NONE} delivers everything once, in
 * order.
 *
 * <p>Errors: {@link ChatException} with {@link ErrorCode#BAD_REQUEST} when a rate is outside [0, 1)
 * or a duration is negative.
 *
 * @param dropRate probability that an envelope is lost
 * @param duplicateRate probability that an envelope is delivered twice
 * @param reorderRate probability that an envelope is held back by a random delay up to {@code
 *     maxDelay}, so later ones overtake it
 * @param maxDelay the longest hold-back for reordered envelopes
 * @param delay a fixed latency added to every envelope (order preserved)
 */
public record Faults(double dropRate, double duplicateRate, double reorderRate, Duration maxDelay, Duration delay) {

  /** No faults. */
  public static final Faults NONE = new Faults(0, 0, 0, Duration.ZERO, Duration.ZERO);

  /**
   * Checks the values.
   *
   * @throws ChatException BAD_REQUEST naming the value if a rate is outside [0, 1) or a duration is
   *     null or negative
   * @param dropRate probability that an envelope is lost
   * @param duplicateRate probability that an envelope is delivered twice
   * @param reorderRate probability that an envelope is held back by a random delay up to {@code
   *     maxDelay}, so later ones overtake it
   * @param maxDelay the longest hold-back for reordered envelopes
   * @param delay a fixed latency added to every envelope (order preserved)
   */
  public Faults {
    rate(dropRate, "dropRate");
    rate(duplicateRate, "duplicateRate");
    rate(reorderRate, "reorderRate");
    if (maxDelay == null || delay == null) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "maxDelay and delay must not be null");
    }
    if (maxDelay.isNegative() || delay.isNegative()) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "delays must not be negative");
    }
  }

  /**
   * A builder starting from {@link #NONE}.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  private static void rate(double r, String what) {
    if (!(r >= 0 && r < 1)) {
      throw new ChatException(ErrorCode.BAD_REQUEST, what + " must be in [0, 1), was " + r);
    }
  }

  /**
   * Builds {@link Faults}. Not thread-safe. Values are checked by {@link #build()}, which throws
   * {@link ChatException} BAD_REQUEST naming the invalid one.
   */
  public static final class Builder {
    private double drop;
    private double duplicate;
    private double reorder;
    private Duration maxDelay = Duration.ofMillis(5);
    private Duration delay = Duration.ZERO;

    Builder() {}

    /**
     * Probability of losing an envelope.
     *
     * @param rate a probability in [0, 1)
     * @return this builder
     */
    public Builder drop(double rate) {
      this.drop = rate;
      return this;
    }

    /**
     * Probability of delivering an envelope twice.
     *
     * @param rate a probability in [0, 1)
     * @return this builder
     */
    public Builder duplicate(double rate) {
      this.duplicate = rate;
      return this;
    }

    /**
     * Probability of holding an envelope back by up to {@code maxDelay}.
     *
     * @param rate a probability in [0, 1)
     * @param maxDelay the longest hold-back, not negative
     * @return this builder
     */
    public Builder reorder(double rate, Duration maxDelay) {
      this.reorder = rate;
      this.maxDelay = maxDelay;
      return this;
    }

    /**
     * Fixed latency for every envelope.
     *
     * @param delay the latency, not negative
     * @return this builder
     */
    public Builder delay(Duration delay) {
      this.delay = delay;
      return this;
    }

    /**
     * The faults.
     *
     * @return the faults
     */
    public Faults build() {
      return new Faults(drop, duplicate, reorder, maxDelay, delay);
    }
  }
}
