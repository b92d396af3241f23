package io.chatmesh.internal;

import io.chatmesh.NodeId;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.wire.Goodbye;
import io.chatmesh.wire.WireMessage;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How this node sends: wraps each message in an {@link Envelope} with this node's id and
 * incarnation and hands it to the transport at the peer's address (as learned by {@link
 * PeerMembership}); a message to this node itself loops back into its own receive path. Messages to
 * a node whose address is not known yet are dropped (logged at debug), like a lost packet.
 *
 * <p>Thread-safe: called from every lane and from transport threads.
 */
final class NodeLinks implements PeerMembership.Links {
  private static final Logger log = LoggerFactory.getLogger(NodeLinks.class);

  private final NodeId self;
  private final long incarnation;
  private final Transport transport;
  private final Function<NodeId, @Nullable String> addresses;
  private final BooleanSupplier closed;
  private final Consumer<Envelope> loopback;

  /**
   * Links of node {@code self}: {@code addresses} tells where a peer listens (null if unknown); once
   * {@code closed} is true only {@link Goodbye} is sent; {@code loopback} receives what this node
   * sends itself.
   */
  NodeLinks(
      NodeId self,
      long incarnation,
      Transport transport,
      Function<NodeId, @Nullable String> addresses,
      BooleanSupplier closed,
      Consumer<Envelope> loopback) {
    this.self = self;
    this.incarnation = incarnation;
    this.transport = transport;
    this.addresses = addresses;
    this.closed = closed;
    this.loopback = loopback;
  }

  @Override
  public void send(NodeId to, WireMessage message) {
    if (to.equals(self)) {
      loopback.accept(new Envelope(self, incarnation, message));
      return;
    }
    String a = addresses.apply(to);
    if (a == null) {
      log.debug("{}: no address for {}, dropping {}", self, to, message.getClass().getSimpleName());
      return;
    }
    if (closed.getAsBoolean() && !(message instanceof Goodbye)) {
      return;
    }
    transport.send(a, new Envelope(self, incarnation, message));
  }

  @Override
  public void sendTo(String address, WireMessage message) {
    transport.send(address, new Envelope(self, incarnation, message));
  }

  /**
   * Whether the transport takes more traffic for {@code to} without congestion (see {@link
   * Transport#isWritable}); this node and unknown nodes count as writable.
   */
  boolean writable(NodeId to) {
    if (to.equals(self)) {
      return true;
    }
    String a = addresses.apply(to);
    return a == null || transport.isWritable(a);
  }
}
