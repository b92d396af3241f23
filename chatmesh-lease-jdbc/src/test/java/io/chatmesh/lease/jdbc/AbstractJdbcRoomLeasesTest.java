package io.chatmesh.lease.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.spi.lease.Lease;
import io.chatmesh.spi.lease.RoomLeases;
import io.chatmesh.testkit.AbstractRoomLeasesTest;
import java.io.IOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The lease contract and the store-side fencing on one database; subclasses name it. The append
 * table below stands in for a history store's entries table.
 */
abstract class AbstractJdbcRoomLeasesTest extends AbstractRoomLeasesTest {
  /** The database under test, as a JDBC URL. */
  protected abstract String url();

  /** A JDBC URL of the same kind whose server does not listen. */
  protected abstract String unreachableUrl(int closedPort);

  @Override
  protected RoomLeases open() {
    return JdbcRoomLeases.builder().url(url()).poolSize(2).pollInterval(Duration.ofMillis(100)).build();
  }

  @Override
  protected RoomLeases openUnreachable() {
    return JdbcRoomLeases.builder().url(unreachableUrl(closedPort())).requestTimeout(Duration.ofSeconds(2)).build();
  }

  @Override
  protected Duration unreachableBound() {
    return Duration.ofSeconds(3);
  }

  @Override
  protected Duration shortTtl() {
    return Duration.ofSeconds(1);
  }

  private static int closedPort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private JdbcRoomLeases jdbc() {
    return (JdbcRoomLeases) leases;
  }

  /** An append guarded by the fence, in one transaction, as a history store would run it. */
  private void append(Connection c, String room, long epoch, long seq) throws SQLException {
    c.setAutoCommit(false);
    try {
      jdbc().fence(c, room, epoch);
      try (PreparedStatement p = c.prepareStatement("INSERT INTO lease_test_entries (room, epoch, seq) VALUES (?, ?, ?)")) {
        p.setString(1, room);
        p.setLong(2, epoch);
        p.setLong(3, seq);
        p.executeUpdate();
      }
      c.commit();
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    }
  }

  private Connection connect() throws SQLException {
    Connection c = java.sql.DriverManager.getConnection(url());
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS lease_test_entries (room VARCHAR(64), epoch BIGINT, seq BIGINT)");
    } catch (SQLException e) {
      // created concurrently
    }
    return c;
  }

  private long stored(Connection c, String room, long epoch) throws SQLException {
    c.setAutoCommit(true);
    try (PreparedStatement p = c.prepareStatement("SELECT COUNT(*) FROM lease_test_entries WHERE room = ? AND epoch = ?")) {
      p.setString(1, room);
      p.setLong(2, epoch);
      try (ResultSet r = p.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    }
  }

  @Test
  void aStaleEpochsAppendFailsInItsOwnTransactionAndStoresNothing() throws Exception {
    try (Connection c = connect()) {
      Lease first = result(leases.acquire(room("a"), node("n1"), shortTtl()));
      append(c, room("a"), first.epoch(), 1);
      letLapse(first);
      Lease second = result(leases.acquire(room("a"), node("n2"), LONG));
      assertThatThrownBy(() -> append(c, room("a"), first.epoch(), 2))
          .isInstanceOfSatisfying(ChatException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.NOT_ADMIN);
            assertThat(e.getMessage()).contains("newest epoch is " + second.epoch());
          });
      append(c, room("a"), second.epoch(), 2);
      assertThat(stored(c, room("a"), first.epoch())).isEqualTo(1);
      assertThat(stored(c, room("a"), second.epoch())).isEqualTo(1);
    }
  }

  @Test
  void aNewEpochWaitsForAnOpenFencedAppendToEnd() throws Exception {
    try (Connection c = connect()) {
      Lease first = result(leases.acquire(room("a"), node("n1"), shortTtl()));
      letLapse(first);
      // the old holder's append transaction holds the fence (lease row) lock ...
      c.setAutoCommit(false);
      jdbc().fence(c, room("a"), first.epoch());
      CompletableFuture<Lease> taking = leases.acquire(room("a"), node("n2"), LONG);
      await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !taking.isDone());
      // ... so its append still commits under the old epoch, and only then is the new one granted
      try (PreparedStatement p = c.prepareStatement("INSERT INTO lease_test_entries (room, epoch, seq) VALUES (?, ?, 1)")) {
        p.setString(1, room("a"));
        p.setLong(2, first.epoch());
        p.executeUpdate();
      }
      c.commit();
      Lease second = result(taking);
      assertThat(second.epoch()).isGreaterThan(first.epoch());
      assertThatThrownBy(() -> append(c, room("a"), first.epoch(), 2)).isInstanceOf(ChatException.class);
      assertThat(stored(c, room("a"), first.epoch())).isEqualTo(1);
    }
  }

  @Test
  void aTableOfAnEarlierVersionGetsTheRetiredColumnAndKeepsItsEpochs() throws Exception {
    String table = "lease_old_" + Long.toHexString(System.nanoTime());
    try (Connection c = connect(); Statement s = c.createStatement()) {
      c.setAutoCommit(true);
      // the schema before deletions were fenced at the lease backend
      s.execute("CREATE TABLE " + table + " (room VARCHAR(64) PRIMARY KEY, holder VARCHAR(64),"
          + " epoch BIGINT NOT NULL, expires_ms BIGINT NOT NULL, ttl_ms BIGINT NOT NULL)");
      s.execute("INSERT INTO " + table + " (room, holder, epoch, expires_ms, ttl_ms) VALUES ('" + room("old") + "', NULL, 7, 0, 1000)");
    }
    RoomLeases upgraded = track(JdbcRoomLeases.builder().url(url()).table(table).poolSize(2).build());
    assertThat(result(upgraded.retired(room("old")))).isFalse();
    Lease l = result(upgraded.takeOver(room("old"), node("n1"), LONG));
    assertThat(l.epoch()).isEqualTo(8);
    result(upgraded.retire(l));
    assertThat(failure(() -> upgraded.takeOver(room("old"), node("n2"), LONG)).code()).isEqualTo(ErrorCode.UNKNOWN_ROOM);
    // a second instance (another node starting) alters nothing twice
    RoomLeases second = track(JdbcRoomLeases.builder().url(url()).table(table).poolSize(2).build());
    assertThat(result(second.retired(room("old")))).isTrue();
    assertThat(result(second.acquire(room("old"), node("n2"), LONG)).epoch()).isEqualTo(9);
  }

  @Test
  void buildRefusesBadConfiguration() {
    assertThatThrownBy(() -> JdbcRoomLeases.builder().build())
        .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST));
    assertThatThrownBy(() -> JdbcRoomLeases.builder().url(url()).table("x; DROP TABLE y").build())
        .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.getMessage()).contains("lease table name"));
    assertThatThrownBy(() -> JdbcRoomLeases.builder().url("postgresql://x/y"))
        .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST));
  }
}
