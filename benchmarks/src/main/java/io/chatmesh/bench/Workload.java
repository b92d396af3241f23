package io.chatmesh.bench;

/**
 * One benchmark workload: {@code rooms} rooms, {@code subscribers} subscribers per room spread
 * round-robin over the 3 nodes (subscriber {@code s} lives on node {@code s % 3}), two publishers per
 * room, one on each node that is not the room's admin (so every message takes the forward hop), and
 * payloads of {@code payloadBytes} bytes that include the (publisher, pubSeq, nanoTime) header.
 * Immutable.
 */
public record Workload(int rooms, int subscribers, int payloadBytes) {

  /** Nodes in every benchmark cluster. */
  public static final int NODES = 3;

  /** Publishers per room: one on each non-admin node. */
  public static final int PUBLISHERS_PER_ROOM = 2;

  /** Validates. */
  public Workload {
    if (rooms < 1) {
      throw new IllegalArgumentException("rooms must be >= 1, was " + rooms);
    }
    if (subscribers < NODES) {
      throw new IllegalArgumentException("subscribers per room must be >= 3 (one per node), was " + subscribers);
    }
    if (payloadBytes < Codec.HEADER_CHARS) {
      throw new IllegalArgumentException("payloadBytes must be >= " + Codec.HEADER_CHARS + ", was " + payloadBytes);
    }
  }

  /** Node (0..2) of subscriber {@code s} of any room. */
  public static int subscriberNode(int s) {
    return s % NODES;
  }

  /** Node of publisher {@code k} (0 or 1) of a room whose sequencer/admin is {@code admin}. */
  public static int publisherNode(int admin, int k) {
    return (admin + 1 + k) % NODES;
  }

  /** Publisher id that is unique across rooms. */
  public static int publisherId(int room, int k) {
    return room * PUBLISHERS_PER_ROOM + k;
  }

  /** Subscriber deliveries per publish. */
  public long fanOut() {
    return subscribers;
  }

  @Override
  public String toString() {
    return "R=" + rooms + " M=" + subscribers + " " + (payloadBytes >= 1024 && payloadBytes % 1024 == 0 ? (payloadBytes / 1024) + "KiB" : payloadBytes + "B");
  }
}
