package io.chatmesh;

import io.chatmesh.spi.lease.RoomLeases;
import java.time.Duration;
import java.util.Objects;

/**
 * How a node's rooms survive their admin: each room is replicated to a replica set, and who may
 * sequence a room is decided by a lease from an existing consensus engine ({@link RoomLeases}:
 * etcd, a JDBC database, or in memory for one-JVM clusters). When the admin's lease lapses, a live
 * replica takes it with a higher epoch, collects the tails of a majority of replicas (or reads the
 * shared history store), and continues the room's sequence with no gap and no reuse.
 *
 * <p>Pass it to {@link ChatNode.Builder#failover(Failover)}; every node of a cluster must use the
 * same lease backend and the same settings. Without it (the default) a room dies with its admin.
 *
 * <p><b>The durability rule.</b> With {@link Acks#REPLICATED} (the default) the admin acknowledges a
 * send, join or leave only once the entry is held by a majority of the room's replica set (the
 * admin counts as one), or, with a {@linkplain io.chatmesh.spi.history.HistoryStore#shared() shared
 * history store}, once the store committed it. Such an entry survives the loss of any minority of
 * the replica set. {@link Acks#ADMIN_ONLY} acknowledges once the admin has it; it is faster, and
 * acknowledged entries the replicas had not received when the admin died are lost at failover
 * (their seqs may then be reused for other entries; a member that got them is told, see {@link
 * Acks#ADMIN_ONLY}).
 *
 * <p><b>The timing rule</b> (the {@linkplain io.chatmesh.spi.lease lease SPI} states it in full).
 * <em>Safety</em>: an admin counts its lease from just before it sent the grant or renewal request,
 * and stops sequencing {@link #maxClockDrift()} before that lease's end unless a renewal succeeded
 * by then, whether or not a renewal is still in flight; the backend cannot grant the lease elsewhere
 * before its own expiry, which is later. So no request timeout enters safety: it needs only that
 * {@code maxClockDrift} bounds how far the clocks of a node and the lease backend drift apart over
 * one lease. <em>Liveness</em>: a healthy admin keeps its lease if every renewal is answered before
 * its stop time, that is if
 *
 * <pre>  leaseDuration &gt; renewInterval + the backend's request timeout + maxClockDrift</pre>
 *
 * An admin that fails this loses its rooms' leases while nothing is wrong (they fail over, safely,
 * for no reason). {@link Builder#build()} cannot see the backend's request timeout; it checks {@code
 * leaseDuration > 2 x renewInterval + maxClockDrift}, which is the liveness rule for a request
 * timeout of at most {@code renewInterval}. The bundled backends' default request timeout is 2 s, the
 * default renew interval; with a longer request timeout, raise {@code leaseDuration} to match.
 * Defaults: lease 6 s, renew 2 s, drift 500 ms (6 s &gt; 2 s + 2 s + 0.5 s).
 *
 * <p><b>Deletion.</b> The admin deleting a room retires it at the lease backend ({@link
 * RoomLeases#retire}) once every participant of the deletion voted READY and before any commits: a
 * deletion whose retire fails rolls back. A node that missed the deletion cannot take the room over
 * ({@link RoomLeases#takeOver} refuses a retired room) and drops it from its directory.
 *
 * <p>Immutable; thread-safe.
 */
public final class Failover {
  /** When a send is acknowledged. */
  public enum Acks {
    /** Once a majority of the replica set holds the entry (or the shared store committed it). */
    REPLICATED,
    /**
     * Once the admin holds the entry: lower latency; entries acknowledged but not yet replicated
     * when the admin dies (or loses its lease, cut off from its replicas) are lost at failover, and
     * their seqs may be reused.
     *
     * <p>A member that received such entries before the admin died is told when it learns of the
     * next admin: its listener gets a {@link RoomEvent.MessagesLost} whose {@code epoch} is the new
     * admin's (newer than the lost entries') and whose {@code fromSeq..toSeq} it had already
     * received; then the room's entries from {@code fromSeq} on, at those same seqs, each with the
     * epoch of the admin that sequenced it: usually newer than the lost entry's there (older when
     * the lost entries had themselves replaced entries of an earlier admin, which a replica still
     * held and the new admin took up again). A stream's seq therefore goes back only right after
     * such a notice. An entry's {@code (epoch, seq)} stays exact: {@link
     * JoinOptions#resume} from a lost entry is not recovered.
     *
     * <p>A member the next admin no longer counts is not told of the loss: a member whose node did
     * not re-attach it within the grace period after the takeover gets a {@code NODE_FAILED} entry,
     * which may reuse the seq of a lost entry and which no member receives if it was the last one;
     * when its node hears the new admin, its listener gets {@link RoomEvent.MemberLeft} with {@link
     * RoomEvent.LeaveReason#REMOVED} (seq 0) instead of a {@link RoomEvent.MessagesLost}. If it
     * joins again, its new {@code JOINED} entry follows that {@code NODE_FAILED} in the log.
     * <p>A lost message that its sender retries with the same client message id (its outcome was
     * unknown: {@code TIMEOUT} or {@code UNAVAILABLE}) is not a duplicate for the next admin, which
     * never had it: the retry is sequenced anew at the next seq of the new admin's log - below,
     * at or above the seq the lost entry had - and acknowledged there. Only members that got the
     * lost entry saw the message at its old {@code (epoch, seq)}.
     */
    ADMIN_ONLY
  }

  private final RoomLeases leases;
  private final int replicationFactor;
  private final Acks acks;
  private final Duration leaseDuration;
  private final Duration renewInterval;
  private final Duration maxClockDrift;

  private Failover(Builder b) {
    this.leases = b.leases;
    this.replicationFactor = b.replicationFactor;
    this.acks = b.acks;
    this.leaseDuration = b.leaseDuration;
    this.renewInterval = b.renewInterval;
    this.maxClockDrift = b.maxClockDrift;
  }

  /**
   * Starts a configuration with the given lease backend.
   *
   * @param leases the lease backend, shared by every node of the cluster; the node does not close it
   * @return a builder with the defaults
   * @throws ChatException BAD_REQUEST if {@code leases} is null
   */
  public static Builder builder(RoomLeases leases) {
    if (leases == null) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "failover needs a RoomLeases backend, got null");
    }
    return new Builder(leases);
  }

  /**
   * The lease backend.
   *
   * @return the lease backend
   */
  public RoomLeases leases() {
    return leases;
  }

  /**
   * Replicas per room, the admin included (capped by the live nodes at creation).
   *
   * @return replicas per room
   */
  public int replicationFactor() {
    return replicationFactor;
  }

  /**
   * When sends are acknowledged.
   *
   * @return when sends are acknowledged
   */
  public Acks acks() {
    return acks;
  }

  /**
   * How long a granted or renewed lease lasts.
   *
   * @return the lease duration
   */
  public Duration leaseDuration() {
    return leaseDuration;
  }

  /**
   * How often the admin renews its leases.
   *
   * @return the renewal interval
   */
  public Duration renewInterval() {
    return renewInterval;
  }

  /**
   * The bound on how far the clocks of a node and the lease backend drift apart over one lease.
   *
   * @return the drift bound
   */
  public Duration maxClockDrift() {
    return maxClockDrift;
  }

  @Override
  public String toString() {
    return "Failover[rf=" + replicationFactor + ", acks=" + acks + ", lease=" + leaseDuration + ", renew=" + renewInterval
        + ", drift=" + maxClockDrift + "]";
  }

  /**
   * Configures {@link Failover}. Not thread-safe. Invalid values fail with {@link ChatException}
   * {@link ErrorCode#BAD_REQUEST} naming the setting.
   */
  public static final class Builder {
    private final RoomLeases leases;
    private int replicationFactor = 3;
    private Acks acks = Acks.REPLICATED;
    private Duration leaseDuration = Duration.ofSeconds(6);
    private Duration renewInterval = Duration.ofSeconds(2);
    private Duration maxClockDrift = Duration.ofMillis(500);

    private Builder(RoomLeases leases) {
      this.leases = leases;
    }

    /**
     * Replicas per room, the admin included; default 3. A room created while fewer nodes are live
     * gets as many replicas as there are live nodes. 1 means no replication: a room still fails
     * over, but only with a shared history store does it keep its log.
     *
     * @param n 1 to 7
     * @return this builder
     */
    public Builder replicationFactor(int n) {
      if (n < 1 || n > 7) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "replicationFactor must be 1 to 7, got " + n);
      }
      this.replicationFactor = n;
      return this;
    }

    /**
     * When sends are acknowledged; default {@link Acks#REPLICATED}.
     *
     * @param acks the rule
     * @return this builder
     */
    public Builder acks(Acks acks) {
      this.acks = Objects.requireNonNull(acks, "acks");
      return this;
    }

    /**
     * How long a lease lasts; default 6 s. The time a room is unavailable after its admin dies is
     * about this plus the failure timeout.
     *
     * @param d positive
     * @return this builder
     */
    public Builder leaseDuration(Duration d) {
      this.leaseDuration = positive(d, "leaseDuration");
      return this;
    }

    /**
     * How often the admin renews each lease; default 2 s.
     *
     * @param d positive
     * @return this builder
     */
    public Builder renewInterval(Duration d) {
      this.renewInterval = positive(d, "renewInterval");
      return this;
    }

    /**
     * The bound on clock drift between a node and the lease backend over one lease; default 500 ms.
     *
     * @param d not negative
     * @return this builder
     */
    public Builder maxClockDrift(Duration d) {
      if (d == null || d.isNegative()) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "maxClockDrift must not be negative, got " + d);
      }
      this.maxClockDrift = d;
      return this;
    }

    /**
     * Builds the configuration.
     *
     * @return the configuration
     * @throws ChatException BAD_REQUEST, naming the three numbers, unless leaseDuration &gt; 2 &times;
     *     renewInterval + maxClockDrift: the liveness part of the timing rule (see {@link Failover})
     *     for a lease backend whose request timeout is at most renewInterval
     */
    public Failover build() {
      Duration min = renewInterval.multipliedBy(2).plus(maxClockDrift);
      if (leaseDuration.compareTo(min) <= 0) {
        throw new ChatException(ErrorCode.BAD_REQUEST,
            "leaseDuration (" + ms(leaseDuration) + ") must exceed 2 x renewInterval (" + ms(renewInterval) + ") + maxClockDrift ("
                + ms(maxClockDrift) + ") = " + ms(min)
                + ": otherwise an admin whose renewals take up to renewInterval loses its leases while nothing is wrong");
      }
      return new Failover(this);
    }

    private static String ms(Duration d) {
      return d.toMillis() + " ms";
    }

    private static Duration positive(Duration d, String what) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new ChatException(ErrorCode.BAD_REQUEST, what + " must be positive, got " + d);
      }
      return d;
    }
  }
}
