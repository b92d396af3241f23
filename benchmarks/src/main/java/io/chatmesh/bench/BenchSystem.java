package io.chatmesh.bench;

/**
 * A system under test: 3 nodes on 127.0.0.1 in this JVM. {@link #start} builds the cluster, creates
 * the workload's rooms (admin/sequencer of room r on node {@link #adminOf(int) adminOf(r)}), and
 * subscribes {@code M} subscribers per room (subscriber s on node {@code s % 3}), each delivery going
 * to {@link Tracker#deliver}. Not thread-safe: the benchmark driver calls start, publish and close
 * from one thread.
 */
public interface BenchSystem extends AutoCloseable {

  /** Short name used on the command line and in the table. */
  String name();

  /** Starts the 3 nodes, creates rooms and subscribers. Blocks until ready (bounded by a timeout). */
  void start(Workload w, Tracker tracker) throws Exception;

  /** The node (0..2) that orders room {@code room}'s messages. */
  int adminOf(int room);

  /**
   * Publishes the {@code pubSeq}-th (1-based) message of publisher {@code k} (0 or 1) of {@code room}
   * from node {@link Workload#publisherNode(int, int) publisherNode(adminOf(room), k)}, stamped
   * {@code stamp}. Should not block for long; a system whose publish blocks slows the generator,
   * which the open-loop latency then reports (stamps are intended start times).
   */
  void publish(int room, int k, long pubSeq, long stamp);

  /** Stops everything; bounded in time. */
  @Override
  void close() throws Exception;
}
