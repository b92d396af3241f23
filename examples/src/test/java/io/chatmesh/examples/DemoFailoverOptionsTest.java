package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.Failover;
import io.chatmesh.NodeId;
import io.chatmesh.lease.InMemoryRoomLeases;
import io.chatmesh.lease.etcd.EtcdRoomLeases;
import io.chatmesh.lease.jdbc.JdbcRoomLeases;
import io.chatmesh.spi.lease.Lease;
import io.chatmesh.spi.lease.RoomLeases;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The demo's failover options: {@code --leases} (memory, etcd://, postgresql://, jdbc:, none, with
 * their defaults per mode), {@code --replication-factor} and {@code --acks} become the {@link
 * Failover} the nodes are built with, over a lease backend that really grants leases. The usage
 * errors of wrong values are in {@link CommandLineOptionsTest}.
 */
@Timeout(60)
class DemoFailoverOptionsTest {

  @Test
  void aWholeClusterDefaultsToSharedInMemoryLeasesAndOneNodeToNone() {
    DemoOptions cluster = Demo.parse();
    assertThat(cluster.leases().kind()).isEqualTo(DemoLeases.Kind.MEMORY);
    try (RoomLeases leases = cluster.leases().open()) {
      Failover f = cluster.failover(leases);
      assertThat(f).isNotNull();
      assertThat(f.leases()).isSameAs(leases).isInstanceOf(InMemoryRoomLeases.class);
      assertThat(f.replicationFactor()).isEqualTo(3);
      assertThat(f.acks()).isEqualTo(Failover.Acks.REPLICATED);
      // the timing rule with the demo's request timeout for etcd and JDBC: an admin that cannot
      // renew stops sequencing before its lease can be granted elsewhere
      assertThat(f.leaseDuration()).isGreaterThan(f.renewInterval().plus(DemoLeases.REQUEST_TIMEOUT).plus(f.maxClockDrift()));
    }

    DemoOptions one = Demo.parse("--node", "n2", "--peers", "127.0.0.1:9091");
    assertThat(one.leases().none()).isTrue();
    assertThat(one.leases().open()).isNull();
    assertThat(one.failover(null)).isNull();
    assertThat(Demo.failoverLine(one.leases(), null)).contains("off").contains("--leases none");
  }

  @Test
  void replicationFactorAndAcksGoIntoTheFailover() {
    DemoOptions opts = Demo.parse("--leases", "memory", "--replication-factor", "2", "--acks", "admin-only");
    try (RoomLeases leases = opts.leases().open()) {
      Failover f = opts.failover(leases);
      assertThat(f).isNotNull();
      assertThat(f.replicationFactor()).isEqualTo(2);
      assertThat(f.acks()).isEqualTo(Failover.Acks.ADMIN_ONLY);
      assertThat(Demo.failoverLine(opts.leases(), f))
          .contains("in memory").contains("replication factor 2").contains("acks admin-only");
    }
    assertThat(Demo.parse("--acks=REPLICATED", "--replication-factor=7").acks).isEqualTo(Failover.Acks.REPLICATED);
    assertThat(Demo.parse("--node", "n1", "--leases", "none").leases().none()).isTrue();
  }

  @Test
  void memoryLeasesAreOneTableForTheNodesOfTheProcess() throws Exception {
    try (RoomLeases leases = DemoLeases.parse("memory").open()) {
      Lease a = leases.acquire("room-a", NodeId.of("n1"), Duration.ofSeconds(6)).get(5, TimeUnit.SECONDS);
      assertThat(a.epoch()).isEqualTo(1);
      // another node of the process sees n1's lease: it may not take the room meanwhile
      assertThatThrownBy(() -> leases.acquire("room-a", NodeId.of("n2"), Duration.ofSeconds(6)).get(5, TimeUnit.SECONDS))
          .cause().isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_ADMIN));
    }
  }

  @Test
  void etcdUrlsBecomeTheClientsEndpoints() {
    DemoLeases l = Demo.parse("--node", "n1", "--leases", "etcd://127.0.0.1:2379,etcd-2:2380").leases();
    assertThat(l.kind()).isEqualTo(DemoLeases.Kind.ETCD);
    assertThat(l.etcdEndpoints()).containsExactly("http://127.0.0.1:2379", "http://etcd-2:2380");
    try (RoomLeases leases = l.open()) { // connects on its first call only
      assertThat(leases).isInstanceOf(EtcdRoomLeases.class);
    }
  }

  @Test
  void postgresqlUrlsTakeTheFormOfHistoryUrlsAndNeverShowThePassword() {
    DemoLeases l = Demo.parse("--node", "n1", "--leases", "postgresql://chat:s%40cr3t@db.example:5433/chat?sslmode=require").leases();
    assertThat(l.kind()).isEqualTo(DemoLeases.Kind.JDBC);
    assertThat(l.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:5433/chat?sslmode=require&user=chat&password=s%40cr3t");
    assertThat(l.describe()).doesNotContain("cr3t").contains("db.example:5433/chat");
    assertThat(DemoLeases.parse("postgres://127.0.0.1/chat").jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1/chat");
    String jdbc = "jdbc:postgresql://127.0.0.1:5432/chat?user=chat&password=pw";
    assertThat(DemoLeases.parse(jdbc).jdbcUrl()).isEqualTo(jdbc);
    assertThat(DemoLeases.parse(jdbc).describe()).doesNotContain("=pw").contains("password=***");
  }

  @Test
  void aJdbcUrlOpensLeasesInThatDatabase() throws Exception {
    DemoLeases l = DemoLeases.parse("jdbc:h2:mem:demo-leases;DB_CLOSE_DELAY=-1");
    try (RoomLeases leases = l.open()) {
      assertThat(leases).isInstanceOf(JdbcRoomLeases.class);
      Lease a = leases.acquire("room-b", NodeId.of("n2"), Duration.ofSeconds(6)).get(10, TimeUnit.SECONDS);
      assertThat(a.holder()).isEqualTo(NodeId.of("n2"));
      assertThat(leases.current("room-b").get(10, TimeUnit.SECONDS)).hasValueSatisfying(c -> assertThat(c.epoch()).isEqualTo(a.epoch()));
    }
  }

  @Test
  void aWholeClusterStartsWithTheFailoverOfItsOptions() throws Exception {
    DemoOptions opts = Demo.parse("--grpc-base", "0", "--ws-base", "0", "--failure-timeout-ms", "1500",
        "--leases", "memory", "--replication-factor", "2");
    RoomLeases leases = opts.leases().open();
    Failover failover = opts.failover(leases);
    assertThat(failover).isNotNull();
    List<DemoNode> started = new ArrayList<>();
    try {
      Demo.runCluster(opts, failover, started);
      assertThat(started).hasSize(3);
      for (DemoNode n : started) {
        assertThat(n.node().room(Demo.defaultRoom(n.node().id().value()))).isPresent();
      }
    } finally {
      Demo.close(started, leases);
    }
    // the leases were closed after the nodes: calls now fail
    assertThatThrownBy(() -> leases.current("room-a").get(5, TimeUnit.SECONDS))
        .cause().isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
  }
}
