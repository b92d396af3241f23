package io.chatmesh.history.jdbc;

import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.testkit.AbstractFailoverTest;
import io.chatmesh.testkit.InMemoryTransportFixture;
import io.chatmesh.testkit.TransportFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failover suite with one H2 database shared by every node ({@code shared(true)}): sends are
 * acknowledged once the store committed them, a node taking a room over reads the log from the
 * store, and the store fences the old admin's appends (as PostgreSQL does for a cluster).
 */
class H2SharedFailoverTest extends AbstractFailoverTest {
  @TempDir Path dir;

  @Override
  protected TransportFixture newFixture() {
    return new InMemoryTransportFixture(42);
  }

  @Override
  protected boolean sharedStore() {
    return true;
  }

  @Override
  protected HistoryStore newStore(String name) {
    return JdbcHistoryStore.builder().url("h2:" + dir.resolve("shared")).shared(true).build();
  }
}
