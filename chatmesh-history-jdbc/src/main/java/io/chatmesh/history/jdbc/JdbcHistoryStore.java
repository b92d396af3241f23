package io.chatmesh.history.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.history.HistoryValidation;
import io.chatmesh.spi.history.HistoryEntry;
import io.chatmesh.spi.history.HistoryStore;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable {@link HistoryStore} over JDBC, for embedded H2 (a file database: the zero set-up
 * default), PostgreSQL 15 and CockroachDB, with one schema and SQL that runs unchanged on all three.
 *
 * <pre>{@code
 * HistoryStore h2 = JdbcHistoryStore.forUrl("h2:./data");
 * HistoryStore pg = JdbcHistoryStore.builder()
 *     .url("postgresql://127.0.0.1:5432/chat?user=chat&password=secret")
 *     .poolSize(8)
 *     .build();
 * }</pre>
 *
 * <p><b>Writes (group commit).</b> {@link #append} only enqueues and returns at once; a single
 * writer thread takes whatever is queued (up to {@link Builder#batchSize}, waiting at most {@link
 * Builder#maxBatchDelay} for more) and inserts it in one transaction with {@code INSERT ... ON
 * CONFLICT DO NOTHING} keyed by {@code (room, epoch, seq)}, so a room's lane never waits a database
 * round trip per message and retries are harmless. Transactions that fail with SQLSTATE {@code
 * 40001} (serialization failure, CockroachDB's "restart transaction"), {@code 40P01}, {@code 40003}
 * or a connection error are retried whole with exponential backoff, up to {@link
 * Builder#maxRetries} times; then the futures fail with {@link ErrorCode#UNAVAILABLE}.
 *
 * <p><b>Durability.</b> An entry is durable when the transaction that inserted it has committed,
 * and the future returned by {@link #append} completes right after that commit (on the writer
 * thread). The engine acks the sender only after the append future completed, so every acked
 * message is in the database. What "committed" survives: PostgreSQL (default {@code
 * synchronous_commit=on}) flushed its WAL to disk; CockroachDB replicated to a quorum; embedded H2
 * runs with {@code WRITE_DELAY 0} (set by this store on start), so the commit was written to the
 * database file before it returned: it survives the process being killed ({@code kill -9}), but H2
 * does not fsync each commit, so an operating-system crash or power loss may lose the last commits.
 *
 * <p><b>Shared store (fencing at the storage).</b> With {@link Builder#shared} true (every node of
 * the cluster uses this database), each append transaction locks its rooms' rows in {@code
 * chatmesh_room} ({@code SELECT ... FOR UPDATE}) and refuses entries of an epoch older than the one
 * {@link #saveRoom} recorded: they are not stored and their call fails with {@link
 * ErrorCode#NOT_ADMIN} naming the room, the entry's epoch and seq, and the recorded epoch and admin,
 * while the call's other entries are stored as usual (as for a seq another epoch holds). A
 * re-append of an already stored key stays a no-op. So once a saveRoom of a newer epoch has
 * committed, no append of an older epoch commits. A store that is not shared (default) checks
 * nothing of this: its node is the only writer.
 *
 * <p><b>Schema.</b> Created or migrated on start (tables {@code chatmesh_schema_version}, {@code
 * chatmesh_room}, {@code chatmesh_event}); a database with a newer schema than this build refuses
 * to start. History is kept until the room is deleted ({@link #oldestSeq} is the first stored seq).
 *
 * <p>Thread-safe. Reads run on the caller's thread and take a pooled connection each: do not call
 * them on a room's lane. Errors: {@link ChatException} {@link ErrorCode#UNAVAILABLE} when the
 * database cannot be reached (also from {@link Builder#build()}), {@link ErrorCode#BAD_REQUEST} for
 * invalid arguments or settings, {@link ErrorCode#NOT_ADMIN} for an entry at a seq another epoch
 * holds (see {@link HistoryStore}) and, in a shared store, for an entry of a stale epoch.
 */
public final class JdbcHistoryStore implements HistoryStore {
  private static final Logger log = LoggerFactory.getLogger(JdbcHistoryStore.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final Db db;
  private final RoomRows roomRows;
  private final HistoryReads reads;
  private final GroupCommitWriter writer;
  private final @Nullable HikariDataSource ownedPool;
  private final Duration closeTimeout;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final boolean shared;

  private JdbcHistoryStore(
      Db db, GroupCommitWriter writer, @Nullable HikariDataSource ownedPool, Duration closeTimeout, boolean shared) {
    this.db = db;
    this.roomRows = new RoomRows(db);
    this.reads = new HistoryReads(db);
    this.writer = writer;
    this.ownedPool = ownedPool;
    this.closeTimeout = closeTimeout;
    this.shared = shared;
  }

  /**
   * A store with default settings for one of the short URL forms of the demo's {@code --history}
   * flag: {@code h2:<directory>} (an embedded file database in that directory, created if missing),
   * {@code postgresql://host:port/database?user=..&password=..} (also for CockroachDB), or any
   * {@code jdbc:h2:} / {@code jdbc:postgresql:} URL.
   *
   * @throws ChatException BAD_REQUEST for an unsupported URL; UNAVAILABLE if the database cannot be
   *     reached or its schema cannot be created
   * @param url the history URL
   * @return a started store
   */
  public static JdbcHistoryStore forUrl(String url) {
    return builder().url(url).build();
  }

  /**
   * A builder with the defaults documented on each setter.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Counters since start; an immutable snapshot. */
  public record Stats(long transactions, long entriesWritten, long retries, long failedBatches) {}

  /**
   * Counters since start.
   *
   * @return a snapshot of the counters
   */
  public Stats stats() {
    return new Stats(
        writer.transactions.get(), writer.entriesWritten.get(), db.retries.get(), writer.failedBatches.get());
  }

  @Override
  public void saveRoom(String room, NodeId admin, long epoch) {
    HistoryValidation.room(room);
    HistoryValidation.admin(admin);
    HistoryValidation.epoch(epoch);
    checkOpen();
    roomRows.save(room, admin, epoch);
  }

  @Override
  public List<StoredRoom> rooms(NodeId admin) {
    HistoryValidation.admin(admin);
    checkOpen();
    return roomRows.of(admin);
  }

  @Override
  public void deleteRoom(String room) {
    HistoryValidation.room(room);
    checkOpen();
    roomRows.delete(room);
  }

  /**
   * Removes the room's entries after {@code seq} (a replica's store under failover). Runs after the
   * appends already enqueued are written: call it once their futures completed. Refused for a
   * {@linkplain Builder#shared(boolean) shared} store, whose log belongs to the current admin.
   */
  @Override
  public void truncateAfter(String room, long seq) {
    HistoryValidation.room(room);
    if (seq < 0) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "seq must not be negative, was " + seq);
    }
    checkOpen();
    if (shared) {
      throw new ChatException(ErrorCode.BAD_REQUEST,
          "a shared history store is never truncated (room '" + room + "' after seq " + seq + "): its log is the admin's");
    }
    roomRows.truncateAfter(room, seq);
  }

  /**
   * Enqueues the entries for the writer thread and returns at once. The future completes after the
   * transaction holding them committed (see the class documentation), or fails with UNAVAILABLE
   * (database unreachable after retries, backlog full, store closed) or NOT_ADMIN.
   */
  @Override
  public CompletableFuture<Void> append(List<HistoryEntry> entries) {
    List<HistoryEntry> checked;
    try {
      checked = HistoryValidation.entries(entries);
    } catch (ChatException e) {
      return CompletableFuture.failedFuture(e);
    }
    return writer.submit(checked);
  }

  @Override
  public List<HistoryEntry> readAfter(String room, long afterSeq, int limit) {
    HistoryValidation.room(room);
    HistoryValidation.limit(limit);
    checkOpen();
    return reads.after(room, afterSeq, limit);
  }

  @Override
  public List<HistoryEntry> readBefore(String room, long beforeSeq, int limit) {
    HistoryValidation.room(room);
    HistoryValidation.limit(limit);
    checkOpen();
    return reads.before(room, beforeSeq, limit);
  }

  @Override
  public Optional<Position> lastPosition(String room) {
    HistoryValidation.room(room);
    checkOpen();
    return reads.lastPosition(room);
  }

  @Override
  public long oldestSeq(String room) {
    HistoryValidation.room(room);
    checkOpen();
    return reads.oldestSeq(room);
  }

  /**
   * Stops accepting appends, writes what is queued (waiting up to the close timeout; what is left
   * then fails with UNAVAILABLE) and closes the pool this store created. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    writer.close(closeTimeout);
    if (ownedPool != null) {
      ownedPool.close();
    }
  }

  /**
   * Whether every node of the cluster uses this database ({@link Builder#shared}); then {@link
   * #append} refuses entries of an epoch older than the room's recorded one (see the class
   * documentation).
   *
   * @return the {@link Builder#shared} setting
   */
  @Override
  public boolean shared() {
    return shared;
  }

  @Override
  public String toString() {
    return "JdbcHistoryStore[" + db.displayUrl() + (shared ? ", shared" : "") + "]";
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new ChatException(ErrorCode.UNAVAILABLE, "history store is closed");
    }
  }

  /**
   * Configures a {@link JdbcHistoryStore}. Not thread-safe. Invalid values fail with {@link
   * ChatException} {@link ErrorCode#BAD_REQUEST} naming the setting.
   */
  public static final class Builder {
    private @Nullable String url;
    private @Nullable DataSource dataSource;
    private @Nullable String user;
    private @Nullable String password;
    private int poolSize = 4;
    private int batchSize = 1_000;
    private Duration maxBatchDelay = Duration.ZERO;
    private int maxPendingEntries = 100_000;
    private int maxRetries = 10;
    private Duration initialBackoff = Duration.ofMillis(5);
    private Duration maxBackoff = Duration.ofSeconds(1);
    private Duration connectionTimeout = Duration.ofSeconds(5);
    private Duration statementTimeout = Duration.ofSeconds(10);
    private Duration closeTimeout = Duration.ofSeconds(10);
    private boolean shared;

    Builder() {}

    /**
     * Where the history lives: {@code h2:<directory>}, {@code
     * postgresql://[user[:password]@]host[:port]/database[?user=..&password=..]} (PostgreSQL or
     * CockroachDB), or a {@code jdbc:h2:} / {@code jdbc:postgresql:} URL. The store creates and owns
     * a HikariCP pool. Either this or {@link #dataSource} is required.
     *
     * @param url the history URL
     * @return this builder
     */
    public Builder url(String url) {
      this.url = HistoryUrls.toJdbcUrl(url);
      this.dataSource = null;
      return this;
    }

    /**
     * Uses the application's own (pooled) data source instead of a URL; the store does not close
     * it. Pool settings of this builder do not apply.
     *
     * @param dataSource the data source
     * @return this builder
     */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = require(dataSource, "dataSource");
      this.url = null;
      return this;
    }

    /**
     * Database user, if not in the URL.
     *
     * @param user the user name
     * @return this builder
     */
    public Builder user(String user) {
      this.user = require(user, "user");
      return this;
    }

    /**
     * Database password, if not in the URL. Never logged.
     *
     * @param password the password
     * @return this builder
     */
    public Builder password(String password) {
      this.password = require(password, "password");
      return this;
    }

    /**
     * Maximum connections in the pool (one is the writer's). Default 4.
     *
     * @param connections the pool size, at least 1
     * @return this builder
     */
    public Builder poolSize(int connections) {
      this.poolSize = atLeast(connections, 1, "poolSize");
      return this;
    }

    /**
     * Entries the writer gathers into one transaction at most; a single larger append is still
     * written whole. Default 1000.
     *
     * @param entries the batch size, at least 1
     * @return this builder
     */
    public Builder batchSize(int entries) {
      this.batchSize = atLeast(entries, 1, "batchSize");
      return this;
    }

    /**
     * How long the writer waits for more entries before committing a batch that is not full.
     * Default 0: commit what is queued right away (batches still form while a commit is in flight).
     *
     * @param delay the delay, not negative
     * @return this builder
     */
    public Builder maxBatchDelay(Duration delay) {
      require(delay, "maxBatchDelay");
      if (delay.isNegative()) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "maxBatchDelay must not be negative, was " + delay);
      }
      this.maxBatchDelay = delay;
      return this;
    }

    /**
     * Entries that may wait for the writer before appends fail fast with UNAVAILABLE. Default 100,000.
     *
     * @param entries the bound, at least 1
     * @return this builder
     */
    public Builder maxPendingEntries(int entries) {
      this.maxPendingEntries = atLeast(entries, 1, "maxPendingEntries");
      return this;
    }

    /**
     * Retries of a transaction that failed with a retryable SQLSTATE (40001, ...). Default 10.
     *
     * @param retries the number of retries, 0 or more
     * @return this builder
     */
    public Builder maxRetries(int retries) {
      this.maxRetries = atLeast(retries, 0, "maxRetries");
      return this;
    }

    /**
     * First retry delay (doubled per retry, with jitter) and its cap. Default 5 ms and 1 s.
     *
     * @param initial the first delay, positive
     * @param max the longest delay, not below {@code initial}
     * @return this builder
     */
    public Builder retryBackoff(Duration initial, Duration max) {
      this.initialBackoff = positive(initial, "retryBackoff initial");
      this.maxBackoff = positive(max, "retryBackoff max");
      if (max.compareTo(initial) < 0) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "retryBackoff max (" + max + ") is below initial (" + initial + ")");
      }
      return this;
    }

    /**
     * How long to wait for a pooled connection (and for the database on start). Default 5 s.
     *
     * @param timeout the timeout, positive
     * @return this builder
     */
    public Builder connectionTimeout(Duration timeout) {
      this.connectionTimeout = positive(timeout, "connectionTimeout");
      return this;
    }

    /**
     * Time limit of each statement (JDBC query timeout, whole seconds, at least 1). Default 10 s.
     *
     * @param timeout the timeout, positive
     * @return this builder
     */
    public Builder statementTimeout(Duration timeout) {
      this.statementTimeout = positive(timeout, "statementTimeout");
      return this;
    }

    /**
     * How long {@link JdbcHistoryStore#close()} waits for queued appends. Default 10 s.
     *
     * @param timeout the timeout, positive
     * @return this builder
     */
    public Builder closeTimeout(Duration timeout) {
      this.closeTimeout = positive(timeout, "closeTimeout");
      return this;
    }

    /**
     * Declares that every node of the cluster uses this database, so one room's log may be written
     * by more than one node over time (its admin changes on failover). Required for the failover
     * mode that acknowledges an entry once the store committed it, without replicating it.
     *
     * <p>When true, {@link JdbcHistoryStore#append} checks each entry's epoch against the room's
     * epoch recorded by {@link JdbcHistoryStore#saveRoom}, in the transaction that would store the
     * entry, with the room's row locked: an entry of an older epoch is not stored and its append
     * fails with {@link ErrorCode#NOT_ADMIN} (fencing at the storage: once {@code saveRoom} of a
     * newer epoch committed, no append of an older epoch commits). This costs one locking read of
     * each room's row per transaction. When false (default), the store is one node's own and the
     * node is the only writer; replicas fence stale admins at the node level.
     *
     * @param shared whether all nodes share this database
     * @return this builder
     */
    public Builder shared(boolean shared) {
      this.shared = shared;
      return this;
    }

    /**
     * Connects, creates or migrates the schema and starts the writer thread.
     *
     * @throws ChatException BAD_REQUEST if neither URL nor data source was given or the database
     *     is not supported; UNAVAILABLE if the database cannot be reached or migrated
     * @return the started store
     */
    public JdbcHistoryStore build() {
      if (url == null && dataSource == null) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "url or dataSource is required");
      }
      int instance = INSTANCES.incrementAndGet();
      HikariDataSource pool = null;
      DataSource ds = dataSource;
      String display;
      if (ds == null) {
        String jdbcUrl = url;
        display = HistoryUrls.redact(jdbcUrl);
        StoreStartup.createH2Directory(jdbcUrl);
        pool = StoreStartup.createPool(jdbcUrl, instance, user, password, poolSize, connectionTimeout, statementTimeout);
        ds = pool;
      } else {
        display = "dataSource " + ds.getClass().getSimpleName();
      }
      try {
        Dialect dialect = StoreStartup.detect(ds, display);
        Db db = new Db(ds, dialect, display, statementTimeout, maxRetries, initialBackoff, maxBackoff);
        if (dialect == Dialect.H2) {
          StoreStartup.setH2WriteDelay(db);
        }
        int before = Schema.migrate(db, System.currentTimeMillis());
        log.info("history store on {} ({}; schema version {} -> {})", display, dialect, before, Sql.LATEST_VERSION);
        GroupCommitWriter writer =
            new GroupCommitWriter(db, shared, batchSize, maxBatchDelay, maxPendingEntries, "chatmesh-history-writer-" + instance);
        return new JdbcHistoryStore(db, writer, pool, closeTimeout, shared);
      } catch (RuntimeException e) {
        if (pool != null) {
          pool.close();
        }
        throw e;
      }
    }

    private static <T> T require(@Nullable T value, String what) {
      if (value == null) {
        throw new ChatException(ErrorCode.BAD_REQUEST, what + " must not be null");
      }
      return value;
    }

    private static int atLeast(int value, int min, String what) {
      if (value < min) {
        throw new ChatException(ErrorCode.BAD_REQUEST, what + " must be at least " + min + ", was " + value);
      }
      return value;
    }

    private static Duration positive(@Nullable Duration d, String what) {
      require(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new ChatException(ErrorCode.BAD_REQUEST, what + " must be positive, was " + d);
      }
      return d;
    }
  }
}
