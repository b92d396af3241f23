package io.chatmesh.lease.etcd;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.spi.lease.DistinctLeaseListener;
import io.chatmesh.spi.lease.Lease;
import io.chatmesh.spi.lease.LeaseChecks;
import io.chatmesh.spi.lease.RoomLeases;
import io.chatmesh.time.ChatClock;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RoomLeases} in etcd. A room's lease is the key {@code <prefix>holder/<room>} attached to
 * an etcd lease of the requested ttl (rounded up to whole seconds; etcd may raise it to its minimum
 * TTL, never lower it), so etcd deletes it when the holder stops renewing, judged by etcd's clock. An
 * acquire is one etcd transaction: it succeeds only if the holder key does not exist and the
 * room's epoch counter {@code <prefix>epoch/<room>} is unchanged since it was read (its mod
 * revision), and then writes the holder key and the counter plus one together (a takeover also
 * requires that the room's retired key {@code <prefix>retired/<room>} does not exist; a creation's
 * acquire deletes it). {@link #retire} deletes the holder key and writes the retired key in one
 * transaction, if the holder key is unchanged since read. The counter has no
 * lease and is never deleted, so epochs never repeat. A renewal is an etcd keep-alive of the holder
 * key's etcd lease, after checking the key still names this holder and epoch. {@link #observe}
 * watches the holder key.
 *
 * <p>Thread-safe. Every call fails with {@link ErrorCode#UNAVAILABLE} when etcd does not answer
 * within {@link Builder#requestTimeout(Duration)}; until etcd answered a first call (the client
 * connects on its first call), within {@link Builder#connectTimeout(Duration)}.
 */
public final class EtcdRoomLeases implements RoomLeases {
  private static final Logger log = LoggerFactory.getLogger(EtcdRoomLeases.class);
  private static final int ATTEMPTS = 16;

  private final Client client;
  private final KV kv;
  private final io.etcd.jetcd.Lease etcdLeases;
  private final Watch watch;
  private final LeaseKeys keys;
  private final ChatClock clock;
  private final Duration requestTimeout;
  private final Duration connectTimeout;
  /** Whether etcd answered a call of this client yet; until then calls are bounded by {@link #connectTimeout}. */
  private volatile boolean answered;
  private final Set<Observer> observers = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private EtcdRoomLeases(Builder b) {
    this.keys = new LeaseKeys(b.prefix);
    this.clock = b.clock;
    this.requestTimeout = b.requestTimeout;
    this.connectTimeout = b.connectTimeout;
    Duration longest = b.connectTimeout.compareTo(b.requestTimeout) > 0 ? b.connectTimeout : b.requestTimeout;
    this.client = Client.builder()
        .endpoints(b.endpoints.toArray(String[]::new))
        .connectTimeout(longest)
        .retryMaxDuration(longest)
        .build();
    this.kv = client.getKVClient();
    this.etcdLeases = client.getLeaseClient();
    this.watch = client.getWatchClient();
  }

  /**
   * A builder; {@link Builder#endpoints(String...)} is required.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public CompletableFuture<Lease> acquire(String room, NodeId node, Duration ttl) {
    return grant("acquire", room, node, ttl, false);
  }

  @Override
  public CompletableFuture<Lease> takeOver(String room, NodeId node, Duration ttl) {
    return grant("take over", room, node, ttl, true);
  }

  private CompletableFuture<Lease> grant(String verb, String room, NodeId node, Duration ttl, boolean takeover) {
    return call(verb + " the lease on room '" + room + "'", () -> LeaseChecks.acquire(room, node, ttl), () -> {
      long localStart = clock.millis();
      long seconds = Math.max(1, (ttl.toMillis() + 999) / 1000);
      return etcdLeases.grant(seconds).thenCompose(g -> {
        CompletableFuture<Lease> attempt = tryAcquire(room, node, ttl, localStart, g.getID(), takeover, 1);
        attempt.whenComplete((l, e) -> {
          if (e != null) {
            etcdLeases.revoke(g.getID()); // best effort: it would lapse anyway
          }
        });
        return attempt;
      });
    });
  }

  /**
   * One acquire transaction: a takeover also requires that no retired key exists; a creation's
   * acquire deletes it (the room is created again).
   */
  private CompletableFuture<Lease> tryAcquire(
      String room, NodeId node, Duration ttl, long localStart, long etcdLease, boolean takeover, int attempt) {
    ByteSequence holderKey = keys.holder(room);
    ByteSequence epochKey = keys.epoch(room);
    ByteSequence retiredKey = keys.retired(room);
    return kv.get(epochKey).thenCompose(r -> {
      KeyValue counter = first(r);
      long next = LeaseKeys.epochOf(counter) + 1;
      Cmp counterUnchanged = counter == null
          ? new Cmp(epochKey, Cmp.Op.EQUAL, CmpTarget.version(0))
          : new Cmp(epochKey, Cmp.Op.EQUAL, CmpTarget.modRevision(counter.getModRevision()));
      Cmp free = new Cmp(holderKey, Cmp.Op.EQUAL, CmpTarget.version(0));
      Op grantEpoch = Op.put(epochKey, LeaseKeys.bytes(Long.toString(next)), PutOption.DEFAULT);
      Op holdIt = Op.put(holderKey, LeaseKeys.holderValue(next, node), PutOption.builder().withLeaseId(etcdLease).build());
      return (takeover
          ? kv.txn().If(free, counterUnchanged, new Cmp(retiredKey, Cmp.Op.EQUAL, CmpTarget.version(0))).Then(grantEpoch, holdIt)
          : kv.txn().If(free, counterUnchanged).Then(grantEpoch, holdIt, Op.delete(retiredKey, DeleteOption.DEFAULT)))
          .Else(Op.get(holderKey, GetOption.DEFAULT), Op.get(retiredKey, GetOption.DEFAULT))
          .commit()
          .thenCompose(t -> {
            if (t.isSucceeded()) {
              return CompletableFuture.completedFuture(new Lease(room, node, next, ttl, localStart + ttl.toMillis()));
            }
            if (takeover && t.getGetResponses().size() > 1 && first(t.getGetResponses().get(1)) != null) {
              throw LeaseChecks.retired(room);
            }
            if (attempt >= ATTEMPTS) {
              throw new ChatException(ErrorCode.UNAVAILABLE, "lease on room '" + room + "': too many concurrent attempts, try again");
            }
            KeyValue held = t.getGetResponses().isEmpty() ? null : first(t.getGetResponses().get(0));
            if (held == null) { // the counter moved under us: read it again
              return tryAcquire(room, node, ttl, localStart, etcdLease, takeover, attempt + 1);
            }
            return describe(room, held).thenCompose(l -> {
              if (l == null) { // lapsed between the transaction and now
                return tryAcquire(room, node, ttl, localStart, etcdLease, takeover, attempt + 1);
              }
              throw LeaseChecks.held(l);
            });
          });
    });
  }

  @Override
  public CompletableFuture<Lease> renew(Lease lease) {
    return call("renew " + (lease == null ? "a null lease" : lease.describe()), () -> LeaseChecks.notNull(lease, "lease"), () -> {
      long localStart = clock.millis();
      return holder(lease.room()).thenCompose(h -> {
        if (h == null || h.epoch() != lease.epoch() || !h.node().equals(lease.holder())) {
          return current(lease.room()).thenApply(now -> {
            throw LeaseChecks.lost(lease, now.orElse(null));
          });
        }
        return etcdLeases.keepAliveOnce(h.etcdLease())
            .handle((k, e) -> {
              if (e == null && k.getTTL() > 0) {
                return new Lease(lease.room(), lease.holder(), lease.epoch(), lease.ttl(), localStart + lease.ttl().toMillis());
              }
              if (e == null || notFound(e)) {
                throw LeaseChecks.lost(lease, null);
              }
              throw new CompletionException(e);
            });
      });
    });
  }

  @Override
  public CompletableFuture<Void> release(Lease lease) {
    return call("release " + (lease == null ? "a null lease" : lease.describe()), () -> LeaseChecks.notNull(lease, "lease"), () ->
        holder(lease.room()).thenCompose(h -> {
          if (h == null || h.epoch() != lease.epoch() || !h.node().equals(lease.holder())) {
            return CompletableFuture.completedFuture(null);
          }
          // revoking the etcd lease deletes the holder key; the epoch counter stays
          return etcdLeases.revoke(h.etcdLease()).handle((r, e) -> {
            if (e != null && !notFound(e)) {
              throw new CompletionException(e);
            }
            return null;
          });
        }));
  }

  /**
   * One transaction: if the holder key is still the one read (same holder, epoch and revision:
   * etcd deletes it when the lease lapses), deletes it and writes the retired key; then revokes the
   * etcd lease (best effort: it no longer carries a key).
   */
  @Override
  public CompletableFuture<Void> retire(Lease lease) {
    return call("retire " + (lease == null ? "a null lease" : lease.describe()), () -> LeaseChecks.notNull(lease, "lease"), () -> {
      ByteSequence holderKey = keys.holder(lease.room());
      return kv.get(holderKey).thenCompose(r -> {
        KeyValue key = first(r);
        LeaseKeys.Holder h = key == null ? null : LeaseKeys.Holder.of(key);
        if (h == null || h.epoch() != lease.epoch() || !h.node().equals(lease.holder())) {
          return refusedRetire(lease);
        }
        return kv.txn()
            .If(new Cmp(holderKey, Cmp.Op.EQUAL, CmpTarget.modRevision(key.getModRevision())))
            .Then(Op.delete(holderKey, DeleteOption.DEFAULT),
                Op.put(keys.retired(lease.room()), LeaseKeys.bytes(Long.toString(lease.epoch())), PutOption.DEFAULT))
            .commit()
            .thenCompose(t -> {
              if (!t.isSucceeded()) {
                return refusedRetire(lease);
              }
              etcdLeases.revoke(h.etcdLease()); // best effort: the key is gone already
              return CompletableFuture.<Void>completedFuture(null);
            });
      });
    });
  }

  private CompletableFuture<Void> refusedRetire(Lease lease) {
    return current(lease.room()).thenApply(now -> {
      throw LeaseChecks.lost(lease, now.orElse(null));
    });
  }

  @Override
  public CompletableFuture<Boolean> retired(String room) {
    return call("read whether room '" + room + "' is retired", () -> LeaseChecks.room(room), () ->
        kv.get(keys.retired(room)).thenApply(r -> first(r) != null));
  }

  @Override
  public CompletableFuture<Optional<Lease>> current(String room) {
    return call("read the lease of room '" + room + "'", () -> LeaseChecks.room(room), () ->
        kv.get(keys.holder(room)).thenCompose(r -> {
          KeyValue kv0 = first(r);
          return kv0 == null ? CompletableFuture.completedFuture(null) : describe(room, kv0);
        }).thenApply(Optional::ofNullable));
  }

  @Override
  public CompletableFuture<Void> fence(String room, long epoch) {
    return call("check epoch " + epoch + " of room '" + room + "'", () -> LeaseChecks.room(room), () ->
        kv.get(keys.epoch(room)).thenApply(r -> {
          long newest = LeaseKeys.epochOf(first(r));
          if (newest == 0 || newest != epoch) {
            throw LeaseChecks.stale(room, epoch, newest);
          }
          return null;
        }));
  }

  @Override
  public Observation observe(String room, Listener listener) {
    LeaseChecks.room(room);
    LeaseChecks.notNull(listener, "listener");
    if (closed) {
      throw new ChatException(ErrorCode.UNAVAILABLE, "etcd leases are closed");
    }
    Observer o = new Observer(room, new DistinctLeaseListener(listener));
    observers.add(o);
    // watch first, then read: a change between the two is reported by the watch
    o.watcher = watch.watch(keys.holder(room), WatchOption.DEFAULT,
        Watch.listener(w -> o.refresh(), e -> log.warn("watching the lease of room '{}' failed: {}", room, e.toString())));
    o.refresh();
    return o::close;
  }

  /** Stops observations and closes the etcd client; leases are not released (they lapse). */
  @Override
  public void close() {
    closed = true;
    observers.forEach(Observer::close);
    client.close();
  }

  /** The holder key's content, or null when nobody holds the room. */
  private CompletableFuture<LeaseKeys.@Nullable Holder> holder(String room) {
    return kv.get(keys.holder(room)).thenApply(r -> {
      KeyValue h = first(r);
      return h == null ? null : LeaseKeys.Holder.of(h);
    });
  }

  /** The lease a holder key stands for, with its remaining time from etcd; null if it lapsed. */
  private CompletableFuture<@Nullable Lease> describe(String room, KeyValue key) {
    LeaseKeys.Holder h = LeaseKeys.Holder.of(key);
    long localNow = clock.millis();
    // etcd reports whole seconds left (0 in the last second) and -1 once the lease is gone
    return etcdLeases.timeToLive(h.etcdLease(), LeaseOption.DEFAULT).thenApply(t -> t.getTTL() < 0
        ? null
        : new Lease(room, h.node(), h.epoch(), Duration.ofSeconds(Math.max(1, t.getGrantedTTL())), localNow + t.getTTL() * 1000));
  }

  private static @Nullable KeyValue first(GetResponse r) {
    List<KeyValue> kvs = r.getKvs();
    return kvs.isEmpty() ? null : kvs.get(0);
  }

  private static boolean notFound(Throwable e) {
    Throwable c = unwrap(e);
    return c instanceof EtcdException ee && ee.getErrorCode() == io.etcd.jetcd.common.exception.ErrorCode.NOT_FOUND
        || String.valueOf(c.getMessage()).contains("lease not found");
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  private <T> CompletableFuture<T> call(String what, Runnable check, Supplier<CompletableFuture<T>> body) {
    CompletableFuture<T> f;
    try {
      check.run();
      if (closed) {
        throw new ChatException(ErrorCode.UNAVAILABLE, "etcd leases are closed");
      }
      f = body.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e instanceof ChatException ? e : failure(what, e, false));
    }
    boolean connecting = !answered;
    return f.toCompletableFuture()
        .orTimeout((connecting ? connectTimeout : requestTimeout).toMillis(), TimeUnit.MILLISECONDS)
        .handle((v, e) -> {
          if (e == null) {
            answered = true;
            return v;
          }
          ChatException failure = failure(what, e, connecting);
          if (failure.code() != ErrorCode.UNAVAILABLE) {
            answered = true; // etcd answered, with a refusal
          }
          throw failure;
        });
  }

  private ChatException failure(String what, Throwable t, boolean connecting) {
    Throwable c = unwrap(t);
    if (c instanceof ChatException ce) {
      return ce;
    }
    if (c instanceof TimeoutException) {
      return new ChatException(ErrorCode.UNAVAILABLE, "could not " + what + ": etcd did not answer within "
          + (connecting ? connectTimeout.toMillis() + " ms (connect timeout: etcd has not answered this client yet)"
              : requestTimeout.toMillis() + " ms"));
    }
    return new ChatException(ErrorCode.UNAVAILABLE, "could not " + what + ": etcd failed: " + c, c);
  }

  /** One observation: re-reads the room's lease after each watch event, reporting changes in order. */
  private final class Observer {
    private final String room;
    private final Listener listener;
    private volatile boolean closed;
    private volatile Watch.@Nullable Watcher watcher;
    private CompletableFuture<?> tail = CompletableFuture.completedFuture(null);

    Observer(String room, Listener listener) {
      this.room = room;
      this.listener = listener;
    }

    synchronized void refresh() {
      tail = tail.thenCompose(x -> closed ? CompletableFuture.completedFuture(null) : current(room).handle((now, e) -> {
        if (e != null) {
          log.warn("reading the lease of room '{}' failed: {}", room, unwrap(e).toString());
        } else if (!closed) {
          listener.changed(room, now);
        }
        return null;
      }));
    }

    void close() {
      closed = true;
      observers.remove(this);
      Watch.Watcher w = watcher;
      if (w != null) {
        w.close();
      }
    }
  }

  /** Configuration of {@link EtcdRoomLeases}. Not thread-safe; build once. */
  public static final class Builder {
    private List<String> endpoints = List.of();
    private String prefix = "/chatmesh/leases/";
    private ChatClock clock = ChatClock.system();
    private Duration requestTimeout = Duration.ofSeconds(2);
    private Duration connectTimeout = Duration.ofSeconds(10);

    private Builder() {}

    /**
     * The etcd cluster's client URLs, e.g. {@code http://127.0.0.1:2379}.
     *
     * @param urls at least one
     * @return this builder
     */
    public Builder endpoints(String... urls) {
      if (urls == null || urls.length == 0 || Arrays.stream(urls).anyMatch(u -> u == null || u.isBlank())) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "etcd endpoints must be one or more non-blank URLs");
      }
      this.endpoints = List.of(urls);
      return this;
    }

    /**
     * The key prefix, so several clusters can share one etcd; default {@code /chatmesh/leases/}.
     *
     * @param prefix non-empty, ending with {@code /}
     * @return this builder
     */
    public Builder prefix(String prefix) {
      this.prefix = LeaseChecks.notNull(prefix, "prefix");
      new LeaseKeys(prefix);
      return this;
    }

    /**
     * The clock that places {@link Lease#expiresAtMillis()} on this node; default the system
     * clock. Expiry itself is judged by etcd.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(ChatClock clock) {
      this.clock = LeaseChecks.notNull(clock, "clock");
      return this;
    }

    /**
     * How long a call may take before it fails with {@link ErrorCode#UNAVAILABLE}; default 2 s.
     * This is the request timeout of the timing rule's liveness part ({@link io.chatmesh.Failover}):
     * {@code leaseDuration > renewInterval + requestTimeout + maxClockDrift}, which the default meets
     * with {@code Failover}'s defaults (6 s &gt; 2 s + 2 s + 0.5 s); keep it at most the renew interval,
     * which is what {@code Failover.Builder.build()} counts on.
     *
     * @param timeout positive
     * @return this builder
     */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = LeaseChecks.positive(timeout, "requestTimeout");
      return this;
    }

    /**
     * How long calls may take until etcd answered this client once, instead of {@link
     * #requestTimeout(Duration)}; default 10 s. The client connects on its first call (a node's first
     * lease call is a creation's or takeover's acquire, never a renewal), and connecting can take
     * longer than a request on a loaded machine.
     *
     * @param timeout positive
     * @return this builder
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = LeaseChecks.positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * Creates the client; it connects on the first call.
     *
     * @return the leases
     * @throws ChatException {@link ErrorCode#BAD_REQUEST} when no endpoint is set
     */
    public EtcdRoomLeases build() {
      if (endpoints.isEmpty()) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "set the etcd endpoints");
      }
      return new EtcdRoomLeases(this);
    }
  }
}
