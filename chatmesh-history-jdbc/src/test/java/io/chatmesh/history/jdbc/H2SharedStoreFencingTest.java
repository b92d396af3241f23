package io.chatmesh.history.jdbc;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fencing at the storage on an H2 file database in a temp directory; each store instance has its
 * own pool and writer thread on the one database, as two nodes would (H2 in server mode runs the
 * same engine and locks).
 */
class H2SharedStoreFencingTest extends AbstractSharedStoreFencingTest {
  @TempDir static Path dataDir;

  @Override
  protected String url() {
    return "h2:" + dataDir;
  }

  @Override
  protected String withLockTimeout(String jdbcUrl, int millis) {
    return jdbcUrl + ";LOCK_TIMEOUT=" + millis;
  }
}
