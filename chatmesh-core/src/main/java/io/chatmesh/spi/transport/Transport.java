package io.chatmesh.spi.transport;

/**
 * Moves envelopes between nodes. Contract every implementation must meet (checked by the
 * conformance suite in core's test-jar, {@code AbstractTransportContractTest}):
 *
 * <ul>
 *   <li><b>Per-link FIFO:</b> envelopes sent by one transport to one address are received in the
 *       order {@link #send} was called, while the link stays up.
 *   <li><b>Best effort:</b> {@link #send} never blocks on the network and never throws for an
 *       unreachable or unknown address; such envelopes may be dropped (and are logged). Buffering
 *       per destination is bounded.
 *   <li><b>Reconnect:</b> after a peer restarts on the same address, later sends reach it.
 *   <li><b>Delivery thread:</b> the {@link Receiver} is called one envelope at a time per inbound
 *       link; it must not block.
 * </ul>
 *
 * <p>Implementations are thread-safe: {@link #send} is called concurrently from many threads.
 */
public interface Transport extends AutoCloseable {

  /**
   * Starts accepting envelopes and returns the address other nodes use to reach this one (e.g.
   * {@code 127.0.0.1:9091}, or the bound port when the configured port was 0).
   *
   * @throws io.chatmesh.ChatException UNAVAILABLE if the address cannot be bound
   * @param receiver gets every inbound envelope
   * @return the address peers reach this node at
   */
  String start(Receiver receiver);

  /**
   * Queues an envelope for {@code address}; returns immediately.
   *
   * @param address the destination's transport address
   * @param envelope what to send
   */
  void send(String address, Envelope envelope);

  /**
   * Whether {@code address} takes more traffic now: {@code false} while the envelopes queued for it
   * are above the implementation's high-water mark (the peer or the network is slower than the
   * senders), {@code true} again once they drained below the low-water mark. Senders use it for flow
   * control: a room's admin holds new messages while a member node's link is not writable, instead
   * of queueing into a bound where envelopes would be dropped. Must be cheap and non-blocking; the
   * default, for transports without a bound, always says {@code true}.
   *
   * @param address the destination's transport address
   * @return false while sends to {@code address} should wait
   */
  default boolean isWritable(String address) {
    return true;
  }

  /** Stops accepting and sending, releases threads and sockets; idempotent. */
  @Override
  void close();

  /** Receives inbound envelopes. */
  @FunctionalInterface
  interface Receiver {
    /**
     * Called for each inbound envelope; must not block.
     *
     * @param envelope the envelope received
     */
    void receive(Envelope envelope);
  }
}
