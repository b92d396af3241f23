package io.chatmesh.history.jdbc;

import java.util.List;

/**
 * Every statement the store runs. Portable SQL for H2 (PostgreSQL mode), PostgreSQL and
 * CockroachDB: no SERIAL/sequences, no PostgreSQL-only types or functions, no MERGE/UPSERT (upserts
 * are UPDATE then INSERT ... ON CONFLICT DO NOTHING), {@code LIMIT ?} for paging, DDL only with
 * {@code IF NOT EXISTS} and outside transactions.
 */
final class Sql {
  private Sql() {}

  static final String CREATE_VERSION_TABLE =
      "CREATE TABLE IF NOT EXISTS chatmesh_schema_version ("
          + "version INTEGER NOT NULL PRIMARY KEY, "
          + "applied_ms BIGINT NOT NULL)";

  static final String SELECT_VERSION = "SELECT MAX(version) FROM chatmesh_schema_version";

  static final String INSERT_VERSION =
      "INSERT INTO chatmesh_schema_version (version, applied_ms) VALUES (?, ?) ON CONFLICT DO NOTHING";

  /** Migration steps; element i brings the schema from version i to version i + 1. */
  static final List<List<String>> MIGRATIONS =
      List.of(
          List.of(
              "CREATE TABLE IF NOT EXISTS chatmesh_room ("
                  + "room VARCHAR(255) NOT NULL PRIMARY KEY, "
                  + "admin_node VARCHAR(255) NOT NULL, "
                  + "epoch BIGINT NOT NULL)",
              "CREATE TABLE IF NOT EXISTS chatmesh_event ("
                  + "room VARCHAR(255) NOT NULL, "
                  + "epoch BIGINT NOT NULL, "
                  + "seq BIGINT NOT NULL, "
                  + "kind VARCHAR(32) NOT NULL, "
                  + "user_id VARCHAR(255) NOT NULL, "
                  + "body VARCHAR NOT NULL, "
                  + "client_msg_id VARCHAR, "
                  + "created_ms BIGINT NOT NULL, "
                  + "PRIMARY KEY (room, epoch, seq))",
              // one entry per position: a stale epoch cannot add a second entry at a taken seq
              "CREATE UNIQUE INDEX IF NOT EXISTS chatmesh_event_room_seq ON chatmesh_event (room, seq)"));

  static final int LATEST_VERSION = MIGRATIONS.size();

  static final String INSERT_EVENT =
      "INSERT INTO chatmesh_event (room, epoch, seq, kind, user_id, body, client_msg_id, created_ms) "
          + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

  static final String SELECT_EPOCH_AT = "SELECT epoch FROM chatmesh_event WHERE room = ? AND seq = ?";

  private static final String EVENT_COLUMNS =
      "SELECT room, epoch, seq, kind, user_id, body, client_msg_id, created_ms FROM chatmesh_event ";

  static final String READ_AFTER = EVENT_COLUMNS + "WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?";

  static final String READ_BEFORE = EVENT_COLUMNS + "WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?";

  static final String LAST_POSITION =
      "SELECT epoch, seq FROM chatmesh_event WHERE room = ? ORDER BY seq DESC LIMIT 1";

  static final String OLDEST_SEQ = "SELECT MIN(seq) FROM chatmesh_event WHERE room = ?";

  static final String UPDATE_ROOM =
      "UPDATE chatmesh_room SET admin_node = ?, epoch = ? WHERE room = ? AND epoch <= ?";

  static final String INSERT_ROOM =
      "INSERT INTO chatmesh_room (room, admin_node, epoch) VALUES (?, ?, ?) ON CONFLICT DO NOTHING";

  /** The room's row, locked until the transaction ends (fencing in a shared store, see RoomFence). */
  static final String LOCK_ROOM = "SELECT admin_node, epoch FROM chatmesh_room WHERE room = ? FOR UPDATE";

  static final String SELECT_ROOMS = "SELECT room, admin_node, epoch FROM chatmesh_room WHERE admin_node = ?";

  static final String DELETE_EVENTS = "DELETE FROM chatmesh_event WHERE room = ?";
  static final String TRUNCATE_EVENTS = "DELETE FROM chatmesh_event WHERE room = ? AND seq > ?";

  static final String DELETE_ROOM = "DELETE FROM chatmesh_room WHERE room = ?";
}
