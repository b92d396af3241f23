package io.chatmesh;

/**
 * One entry of the cluster-wide room directory as this node knows it. Immutable; thread-safe.
 *
 * @param name the room name, unique in the cluster
 * @param admin the node that administers (sequences) the room
 * @param epoch the administrator epoch
 * @param memberCount members as last announced by the administrator (may lag a little)
 * @param available false while the administrator node is considered dead
 */
public record RoomSummary(String name, NodeId admin, long epoch, int memberCount, boolean available) {}
