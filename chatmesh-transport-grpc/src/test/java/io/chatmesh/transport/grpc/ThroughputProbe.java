package io.chatmesh.transport.grpc;

import io.chatmesh.NodeId;
import io.chatmesh.UserId;
import io.chatmesh.spi.transport.Envelope;
import io.chatmesh.wire.Sequenced;
import io.chatmesh.wire.EventKind;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A rough throughput probe (not a test): n2 and n3 each stream 100-character Sequenced envelopes to
 * n1 over loopback gRPC for the given seconds; prints envelopes received per second and the batch
 * size achieved. Run: see the module README.
 */
public final class ThroughputProbe {
  private ThroughputProbe() {}

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    AtomicLong received = new AtomicLong();
    GrpcTransport n1 = GrpcTransport.builder("127.0.0.1:0").plaintext().build();
    n1.start(e -> received.incrementAndGet());
    GrpcTransport n2 = GrpcTransport.builder("127.0.0.1:0").plaintext().build();
    GrpcTransport n3 = GrpcTransport.builder("127.0.0.1:0").plaintext().build();
    n2.start(e -> {});
    n3.start(e -> {});
    String text = "x".repeat(100);
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    Thread[] senders = new Thread[2];
    GrpcTransport[] from = {n2, n3};
    for (int i = 0; i < 2; i++) {
      GrpcTransport t = from[i];
      NodeId id = NodeId.of("n" + (i + 2));
      senders[i] =
          new Thread(
              () -> {
                long seq = 0;
                while (System.nanoTime() < end) {
                  // stay below the queue bound so the probe measures transport throughput, not drops
                  if (t.stats().queued() > 5_000) {
                    Thread.onSpinWait();
                    continue;
                  }
                  t.send(n1.address(), new Envelope(id, 1, new Sequenced("r", 1, ++seq, EventKind.MESSAGE, UserId.of("u"), text, null, 0)));
                }
              });
      senders[i].start();
    }
    long start = System.nanoTime();
    long warm = received.get();
    for (Thread s : senders) {
      s.join();
    }
    double secs = (System.nanoTime() - start) / 1e9;
    long got = received.get() - warm;
    GrpcTransport.Stats s2 = n2.stats();
    GrpcTransport.Stats s3 = n3.stats();
    long env = s2.envelopesSent() + s3.envelopesSent();
    long batches = s2.batchesSent() + s3.batchesSent();
    System.out.printf(
        "received %d envelopes in %.1f s = %.0f envelopes/s; %d batches, %.1f envelopes per batch; dropped %d%n",
        got, secs, got / secs, batches, (double) env / batches, s2.droppedQueueFull() + s3.droppedQueueFull());
    n2.close();
    n3.close();
    n1.close();
  }
}
