package io.chatmesh.history.jdbc;

import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.testkit.AbstractFailoverTest;
import io.chatmesh.testkit.InMemoryTransportFixture;
import io.chatmesh.testkit.TransportFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failover suite with every node keeping its copy of each room's log in its own file-backed H2
 * database: replicas store (and truncate) through JDBC, and appends complete on the store's writer
 * thread.
 */
class H2FailoverTest extends AbstractFailoverTest {
  @TempDir Path dir;

  @Override
  protected TransportFixture newFixture() {
    return new InMemoryTransportFixture(42);
  }

  @Override
  protected HistoryStore newStore(String name) {
    return JdbcHistoryStore.forUrl("h2:" + dir.resolve(name));
  }
}
