package io.chatmesh.metrics;

/**
 * Receives a node's latencies as they are measured, to feed timers with percentiles (the {@code
 * chatmesh-micrometer} module implements it). Counters and gauges are not pushed here: read them
 * with {@link io.chatmesh.ChatNode#metrics()}.
 *
 * <p>Thread-safety: methods are called concurrently from the node's lanes and from history-store
 * threads, on the hot path of every message. Implementations must be thread-safe, fast and must not
 * block; an exception thrown by an observer is caught and logged (WARN) by the node, and the
 * observer keeps being called. Every method has an empty default.
 */
public interface MetricsObserver {

  /**
   * The admin of a room released an entry: from sequencing it to its answer (durable in the history
   * store, broadcast to the member nodes and acknowledged). Sends held by flow control are not
   * sequenced yet while held; see {@link NodeMetricsSnapshot#sendsHeld()}.
   *
   * @param nanos elapsed time in nanoseconds
   */
  default void sequenced(long nanos) {}

  /**
   * A send made on this node was acknowledged: from {@code Room.send} reaching the room's lane to
   * the admin's acknowledgement (including waiting for the flow-control window).
   *
   * @param nanos elapsed time in nanoseconds
   */
  default void sendAcknowledged(long nanos) {}

  /**
   * An append to the history store completed successfully (administered rooms only).
   *
   * @param entries the entries in that append
   * @param nanos elapsed time in nanoseconds from the call to the completion of its future
   */
  default void historyAppended(int entries, long nanos) {}
}
