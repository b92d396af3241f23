package io.chatmesh.transport.inmemory;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.spi.transport.Transport;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One node's endpoint on an {@link InMemoryNetwork}: inbound envelopes run on one thread. */
final class InMemoryTransport implements Transport {
  private static final Logger log = LoggerFactory.getLogger(InMemoryTransport.class);

  private final InMemoryNetwork network;
  private final String address;
  private volatile @Nullable ExecutorService inbound;
  private volatile Transport.@Nullable Receiver receiver;
  private volatile boolean live;

  InMemoryTransport(InMemoryNetwork network, String address) {
    this.network = network;
    this.address = address;
  }

  String address() {
    return address;
  }

  boolean isLive() {
    return live;
  }

  @Override
  public synchronized String start(Receiver receiver) {
    if (live || inbound != null) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "transport " + address + " already started");
    }
    this.receiver = receiver;
    this.inbound =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "inmemory-" + address);
              t.setDaemon(true);
              return t;
            });
    this.live = true;
    network.register(this);
    return address;
  }

  @Override
  public void send(String to, Envelope envelope) {
    if (live) {
      network.route(this, to, envelope);
    }
  }

  void enqueue(Envelope envelope) {
    ExecutorService ex = inbound;
    Receiver r = receiver;
    if (!live || ex == null || r == null) {
      return;
    }
    network.queued(1);
    try {
      ex.execute(
          () -> {
            try {
              if (live) {
                r.receive(envelope);
              }
            } catch (RuntimeException e) {
              log.error("receiver of {} failed on {}", address, envelope, e);
            } finally {
              network.queued(-1);
            }
          });
    } catch (RejectedExecutionException e) {
      network.queued(-1); // closed meanwhile
    }
  }

  void crash() {
    live = false;
  }

  @Override
  public synchronized void close() {
    live = false;
    network.unregister(this);
    ExecutorService ex = inbound;
    if (ex != null) {
      network.queued(-ex.shutdownNow().size());
    }
  }

  @Override
  public String toString() {
    return "InMemoryTransport[" + address + "]";
  }
}
