package io.chatmesh.lease.jdbc;

/** The lease contract and fencing on embedded H2 (one in-memory database shared by the class). */
class H2RoomLeasesTest extends AbstractJdbcRoomLeasesTest {
  @Override
  protected String url() {
    return "jdbc:h2:mem:chatmesh-leases;DB_CLOSE_DELAY=-1";
  }

  @Override
  protected String unreachableUrl(int closedPort) {
    return "jdbc:h2:tcp://127.0.0.1:" + closedPort + "/mem:nowhere";
  }
}
