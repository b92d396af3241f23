package io.chatmesh.transport.grpc;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.testkit.TransportFixture;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * {@link TransportFixture} over real gRPC on 127.0.0.1: the first transport of a name binds an
 * ephemeral port, which the fixture remembers so a later {@link #create} of the same name (a
 * restart) binds the same port. {@link #crash} kills the transport abruptly (server and channels
 * shut down at once, no goodbye). Short backoffs keep reconnect tests fast. Thread-safe.
 */
public final class GrpcTransportFixture implements TransportFixture {
  private final Map<String, Integer> ports = new ConcurrentHashMap<>();
  private final Map<String, GrpcTransport> current = new ConcurrentHashMap<>();
  private final UnaryOperator<GrpcTransport.Builder> tuning;

  /** A fixture with test-friendly settings (backoff 20 ms .. 300 ms). */
  public GrpcTransportFixture() {
    this(b -> b);
  }

  /** A fixture whose builders are further adjusted by {@code tuning}. */
  public GrpcTransportFixture(UnaryOperator<GrpcTransport.Builder> tuning) {
    this.tuning = tuning;
  }

  @Override
  public Transport create(String name) {
    int port = ports.getOrDefault(name, 0);
    GrpcTransport.Builder b =
        GrpcTransport.builder("127.0.0.1:" + port).plaintext()
            .backoff(Duration.ofMillis(20), Duration.ofMillis(300), 0.2)
            .handshakeTimeout(Duration.ofSeconds(3))
            .closeGracePeriod(Duration.ofSeconds(1));
    GrpcTransport t = tuning.apply(b).build();
    GrpcTransport prev = current.put(name, t);
    if (prev != null && prev.running()) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "transport " + name + " is still running; crash or close it first");
    }
    return new Transport() {
      @Override
      public String start(Receiver receiver) {
        String address = t.start(receiver);
        ports.putIfAbsent(name, HostPort.parse(address).port());
        return address;
      }

      @Override
      public void send(String address, Envelope envelope) {
        t.send(address, envelope);
      }

      @Override
      public boolean isWritable(String address) {
        return t.isWritable(address);
      }

      @Override
      public void close() {
        t.close();
      }

      @Override
      public String toString() {
        return t.toString();
      }
    };
  }

  /** The gRPC transport currently registered under {@code name}. */
  public GrpcTransport transport(String name) {
    GrpcTransport t = current.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no transport named " + name);
    }
    return t;
  }

  @Override
  public void crash(String name) {
    GrpcTransport t = current.get(name);
    if (t != null) {
      t.crash();
    }
  }

  @Override
  public void close() {
    for (GrpcTransport t : current.values()) {
      t.close();
    }
  }
}
