package io.chatmesh.lease.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.spi.lease.DistinctLeaseListener;
import io.chatmesh.spi.lease.Lease;
import io.chatmesh.spi.lease.LeaseChecks;
import io.chatmesh.spi.lease.RoomLeases;
import io.chatmesh.time.ChatClock;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RoomLeases} in a database table: one row per room, every acquire a compare-and-set in one
 * transaction, expiry judged by the database's clock ({@code CURRENT_TIMESTAMP}), so the nodes'
 * clock offsets do not matter. Runs on H2, PostgreSQL and CockroachDB with the same SQL. A retired
 * (deleted) room is a flag on its row, set by {@link #retire} in the same statement that frees the
 * lease.
 *
 * <p>Fencing at the store: {@link #fence(Connection, String, long)} runs inside a caller's
 * transaction (e.g. a history append): it locks the room's lease row and fails unless the epoch is
 * the newest, so once a new epoch is granted no append of an older one can commit.
 *
 * <p>{@link #observe} polls every {@link Builder#pollInterval(Duration)}.
 *
 * <p>Thread-safe. Calls run on a small pool of this instance's own threads and fail with {@link
 * ErrorCode#UNAVAILABLE} when the database fails or does not answer within {@link
 * Builder#requestTimeout(Duration)}; an acquire that meets a concurrent one (unique violation,
 * serialization failure) is retried a few times before that.
 */
public final class JdbcRoomLeases implements RoomLeases {
  private static final Logger log = LoggerFactory.getLogger(JdbcRoomLeases.class);
  private static final int ATTEMPTS = 8;
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final DataSource dataSource;
  private final @Nullable HikariDataSource ownedPool;
  private final LeaseTable table;
  private final ChatClock clock;
  private final Duration requestTimeout;
  private final Duration pollInterval;
  private final boolean createTable;
  private final ExecutorService executor;
  private final Set<Poll> polls = ConcurrentHashMap.newKeySet();
  private volatile boolean tableReady;
  private volatile boolean closed;

  private JdbcRoomLeases(Builder b, DataSource dataSource, @Nullable HikariDataSource ownedPool) {
    this.dataSource = dataSource;
    this.ownedPool = ownedPool;
    this.table = new LeaseTable(b.table, b.requestTimeout);
    this.clock = b.clock;
    this.requestTimeout = b.requestTimeout;
    this.pollInterval = b.pollInterval;
    this.createTable = b.createTable;
    int id = INSTANCES.incrementAndGet();
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newFixedThreadPool(b.threads, r -> {
      Thread t = new Thread(r, "chatmesh-lease-jdbc-" + id + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * A builder; set {@link Builder#url(String)} or {@link Builder#dataSource(DataSource)}.
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
    return call(verb + " the lease on room '" + room + "'", () -> LeaseChecks.acquire(room, node, ttl), c -> {
      long localStart = clock.millis();
      long epoch = table.acquire(c, room, node, ttl, localStart, takeover);
      return new Lease(room, node, epoch, ttl, localStart + ttl.toMillis());
    }, true);
  }

  @Override
  public CompletableFuture<Void> retire(Lease lease) {
    return call("retire " + (lease == null ? "a null lease" : lease.describe()), () -> LeaseChecks.notNull(lease, "lease"), c -> {
      if (!table.retire(c, lease)) {
        throw LeaseChecks.lost(lease, table.current(c, lease.room(), clock.millis()).orElse(null));
      }
      return null;
    }, true);
  }

  @Override
  public CompletableFuture<Boolean> retired(String room) {
    return call("read whether room '" + room + "' is retired", () -> LeaseChecks.room(room), c -> table.retired(c, room), false);
  }

  @Override
  public CompletableFuture<Lease> renew(Lease lease) {
    return call("renew " + (lease == null ? "a null lease" : lease.describe()), () -> LeaseChecks.notNull(lease, "lease"), c -> {
      long localStart = clock.millis();
      if (table.renew(c, lease)) {
        return new Lease(lease.room(), lease.holder(), lease.epoch(), lease.ttl(), localStart + lease.ttl().toMillis());
      }
      throw LeaseChecks.lost(lease, table.current(c, lease.room(), clock.millis()).orElse(null));
    }, false);
  }

  @Override
  public CompletableFuture<Void> release(Lease lease) {
    return call("release " + (lease == null ? "a null lease" : lease.describe()), () -> LeaseChecks.notNull(lease, "lease"), c -> {
      table.release(c, lease);
      return null;
    }, false);
  }

  @Override
  public CompletableFuture<Optional<Lease>> current(String room) {
    return call("read the lease of room '" + room + "'", () -> LeaseChecks.room(room),
        c -> table.current(c, room, clock.millis()), false);
  }

  @Override
  public CompletableFuture<Void> fence(String room, long epoch) {
    return call("check epoch " + epoch + " of room '" + room + "'", () -> LeaseChecks.room(room), c -> {
      table.fence(c, room, epoch, false);
      return null;
    }, false);
  }

  /**
   * The fencing check inside the caller's transaction: locks the room's lease row until that
   * transaction ends, so no newer epoch can be granted meanwhile, and fails unless {@code epoch} is
   * the room's newest. Run it before the writes it guards, on the same connection, with auto-commit
   * off; the lease table must be in the same database. Blocks the calling thread.
   *
   * @param connection the caller's connection, in a transaction
   * @param room the room's name
   * @param epoch the writer's epoch
   * @throws ChatException {@link ErrorCode#NOT_ADMIN} naming the newest epoch when {@code epoch} is
   *     stale (roll the transaction back and step down), {@link ErrorCode#BAD_REQUEST} for an
   *     invalid room name
   * @throws SQLException when the database fails (the caller's transaction handling decides)
   */
  public void fence(Connection connection, String room, long epoch) throws SQLException {
    LeaseChecks.notNull(connection, "connection");
    LeaseChecks.room(room);
    ensureTable();
    table.fence(connection, room, epoch, true);
  }

  @Override
  public Observation observe(String room, Listener listener) {
    LeaseChecks.room(room);
    LeaseChecks.notNull(listener, "listener");
    if (closed) {
      throw new ChatException(ErrorCode.UNAVAILABLE, "JDBC leases are closed");
    }
    Poll poll = new Poll(room, new DistinctLeaseListener(listener));
    polls.add(poll);
    poll.schedule(Duration.ZERO);
    return poll::stop;
  }

  /** Stops observations and the threads; closes the pool only if this instance created it. */
  @Override
  public void close() {
    closed = true;
    polls.forEach(Poll::stop);
    executor.shutdownNow();
    if (ownedPool != null) {
      ownedPool.close();
    }
  }

  /** Work on one connection; {@code transaction} runs it with auto-commit off and retries conflicts. */
  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private <T> CompletableFuture<T> call(String what, Runnable check, Work<T> work, boolean transaction) {
    CompletableFuture<T> f = new CompletableFuture<>();
    try {
      check.run();
      if (closed) {
        throw new ChatException(ErrorCode.UNAVAILABLE, "JDBC leases are closed");
      }
      executor.execute(() -> {
        try {
          f.complete(transaction ? inTransaction(what, work) : once(work));
        } catch (Throwable t) {
          f.completeExceptionally(failure(what, t));
        }
      });
    } catch (RejectedExecutionException e) {
      f.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE, "JDBC leases are closed"));
    } catch (RuntimeException e) {
      f.completeExceptionally(ChatException.from(e));
    }
    return f.orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle((v, e) -> {
          if (e == null) {
            return v;
          }
          throw failure(what, e);
        });
  }

  private <T> T once(Work<T> work) throws SQLException {
    ensureTable();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      return work.run(c);
    }
  }

  private <T> T inTransaction(String what, Work<T> work) throws SQLException {
    ensureTable();
    for (int attempt = 1; ; attempt++) {
      try (Connection c = dataSource.getConnection()) {
        c.setAutoCommit(false);
        try {
          T result = work.run(c);
          c.commit();
          return result;
        } catch (SQLException | RuntimeException e) {
          rollback(c);
          if (!(e instanceof SQLException s) || !Sql.retryable(s) || attempt == ATTEMPTS) {
            throw e;
          }
          log.debug("{}: conflict with a concurrent transaction (attempt {}): {}", what, attempt, e.toString());
        }
      }
    }
  }

  private void ensureTable() throws SQLException {
    if (tableReady || !createTable) {
      return;
    }
    synchronized (this) {
      if (!tableReady) {
        try (Connection c = dataSource.getConnection()) {
          c.setAutoCommit(true);
          try {
            table.create(c);
          } catch (SQLException e) {
            // two nodes creating the table at once: fine if it exists now
            table.read(c, "probe", false);
          }
        }
        tableReady = true;
      }
    }
  }

  private static void rollback(Connection c) {
    try {
      c.rollback();
    } catch (SQLException e) {
      log.debug("rollback failed", e);
    }
  }

  private ChatException failure(String what, Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    if (c instanceof ChatException ce) {
      return ce;
    }
    if (c instanceof TimeoutException) {
      return new ChatException(ErrorCode.UNAVAILABLE,
          "could not " + what + ": the lease database did not answer within " + requestTimeout.toMillis() + " ms");
    }
    if (c instanceof SQLException s) {
      return new ChatException(ErrorCode.UNAVAILABLE, "could not " + what + ": the lease database failed: " + Sql.describe(s), s);
    }
    return new ChatException(ErrorCode.INTERNAL, "could not " + what + ": " + c, c);
  }

  /** One observation: polls the room's row, reporting changes of holder, epoch or presence. */
  private final class Poll {
    private final String room;
    private final Listener listener;
    private volatile boolean stopped;
    private boolean failing;
    private ChatClock.@Nullable Cancellable next;

    Poll(String room, Listener listener) {
      this.room = room;
      this.listener = listener;
    }

    synchronized void schedule(Duration delay) {
      if (!stopped && !closed) {
        next = clock.schedule(delay, () -> {
          try {
            executor.execute(this::poll);
          } catch (RejectedExecutionException e) {
            // closed
          }
        });
      }
    }

    private void poll() {
      if (stopped) {
        return;
      }
      try {
        Optional<Lease> now = once(c -> table.current(c, room, clock.millis()));
        if (!stopped) {
          listener.changed(room, now);
        }
        failing = false;
      } catch (SQLException | RuntimeException e) {
        if (!failing) { // once per outage, not once per poll
          log.warn("polling the lease of room '{}' failed (will keep trying): {}", room, e.toString());
        }
        failing = true;
      }
      schedule(pollInterval);
    }

    synchronized void stop() {
      stopped = true;
      polls.remove(this);
      if (next != null) {
        next.cancel();
      }
    }
  }

  /**
   * Configuration of {@link JdbcRoomLeases}. Not thread-safe; build once.
   */
  public static final class Builder {
    private @Nullable String url;
    private @Nullable DataSource dataSource;
    private String table = "chatmesh_lease";
    private ChatClock clock = ChatClock.system();
    private Duration requestTimeout = Duration.ofSeconds(2);
    private Duration pollInterval = Duration.ofMillis(500);
    private int poolSize = 4;
    private int threads = 4;
    private boolean createTable = true;

    private Builder() {}

    /**
     * The database as a JDBC URL ({@code jdbc:h2:...}, {@code jdbc:postgresql://...}); this
     * instance then owns a HikariCP pool and closes it on {@link #close()}.
     *
     * @param jdbcUrl the URL, credentials as URL parameters
     * @return this builder
     */
    public Builder url(String jdbcUrl) {
      if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:")) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "lease database URL must start with jdbc:");
      }
      this.url = jdbcUrl;
      return this;
    }

    /**
     * An existing pool, e.g. the one the history store uses (needed for {@link
     * JdbcRoomLeases#fence(Connection, String, long)} in the same transaction as an append). Not
     * closed by {@link #close()}.
     *
     * @param dataSource the pool
     * @return this builder
     */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = LeaseChecks.notNull(dataSource, "dataSource");
      return this;
    }

    /**
     * The table name; default {@code chatmesh_lease}.
     *
     * @param table letters, digits and underscores, starting with a letter or underscore
     * @return this builder
     */
    public Builder table(String table) {
      this.table = LeaseChecks.notNull(table, "table");
      return this;
    }

    /**
     * The clock that places {@link Lease#expiresAtMillis()} on this node and schedules polls;
     * default the system clock. Expiry itself is judged by the database.
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
     * How often {@link JdbcRoomLeases#observe} reads the row; default 500 ms.
     *
     * @param interval positive
     * @return this builder
     */
    public Builder pollInterval(Duration interval) {
      this.pollInterval = LeaseChecks.positive(interval, "pollInterval");
      return this;
    }

    /**
     * Connections of the pool created for {@link #url(String)}, and threads running calls;
     * default 4.
     *
     * @param size 1 to 64
     * @return this builder
     */
    public Builder poolSize(int size) {
      if (size < 1 || size > 64) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "poolSize must be 1 to 64, got " + size);
      }
      this.poolSize = size;
      this.threads = size;
      return this;
    }

    /**
     * Whether to create the table if missing ({@code CREATE TABLE IF NOT EXISTS}) and add the
     * {@code retired} column to a table of an earlier version ({@code ADD COLUMN IF NOT EXISTS});
     * default true.
     *
     * @param create false when the schema is managed elsewhere (it then needs the column {@code
     *     retired BOOLEAN DEFAULT FALSE NOT NULL})
     * @return this builder
     */
    public Builder createTable(boolean create) {
      this.createTable = create;
      return this;
    }

    /**
     * Builds the leases. Does not connect yet: the first call does.
     *
     * @return the leases
     * @throws ChatException {@link ErrorCode#BAD_REQUEST} when neither or both of url and
     *     dataSource are set, or the table name is invalid
     */
    public JdbcRoomLeases build() {
      if ((url == null) == (dataSource == null)) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "set exactly one of url(...) and dataSource(...)");
      }
      new LeaseTable(table, requestTimeout); // validates the name before a pool is made
      if (dataSource != null) {
        return new JdbcRoomLeases(this, dataSource, null);
      }
      HikariConfig config = new HikariConfig();
      config.setJdbcUrl(Objects.requireNonNull(url));
      config.setPoolName("chatmesh-lease");
      config.setMaximumPoolSize(poolSize);
      config.setConnectionTimeout(Math.max(250, requestTimeout.toMillis()));
      config.setInitializationFailTimeout(-1);
      HikariDataSource pool = new HikariDataSource(config);
      return new JdbcRoomLeases(this, pool, pool);
    }
  }
}
