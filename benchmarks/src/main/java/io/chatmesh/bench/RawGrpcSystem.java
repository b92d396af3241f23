package io.chatmesh.bench;

import com.google.protobuf.ByteString;
import io.chatmesh.bench.proto.RelayAck;
import io.chatmesh.bench.proto.RelayBatch;
import io.chatmesh.bench.proto.RelayGrpc;
import io.chatmesh.bench.proto.RelayMsg;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The ceiling: raw grpc-java streams between the same node pairs carrying the same payloads, no chat
 * logic. Each node has one client stream to each other node (6 streams). A publisher's node sends
 * the message to the room's relay node ("admin") over its stream; the relay numbers it under a
 * per-room lock, delivers it to its local subscribers and queues it for the two other nodes, which
 * deliver it to theirs. Each stream coalesces whatever is queued into one batch per write
 * (at most {@link #MAX_BATCH} messages) and honours gRPC flow control ({@code isReady}/onReady).
 * All gRPC callbacks run on Netty threads ({@code directExecutor}). Not thread-safe for start/close.
 */
public final class RawGrpcSystem implements BenchSystem {
  static final int MAX_BATCH = 512;

  private Workload w;
  private Tracker tracker;
  private final Node[] nodes = new Node[Workload.NODES];
  private ByteString pad;

  @Override
  public String name() {
    return "raw-grpc";
  }

  @Override
  public int adminOf(int room) {
    return room % Workload.NODES;
  }

  @Override
  public void start(Workload w, Tracker tracker) throws Exception {
    this.w = w;
    this.tracker = tracker;
    this.pad = ByteString.copyFrom(new byte[Math.max(0, w.payloadBytes() - Codec.HEADER_BYTES)]);
    for (int i = 0; i < nodes.length; i++) {
      nodes[i] = new Node(i);
    }
    CountDownLatch connected = new CountDownLatch(Workload.NODES * (Workload.NODES - 1));
    for (Node n : nodes) {
      n.connect(connected);
    }
    if (!connected.await(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("raw gRPC streams did not become ready in 10 s");
    }
  }

  @Override
  public void publish(int room, int k, long pubSeq, long stamp) {
    int admin = adminOf(room);
    Node from = nodes[Workload.publisherNode(admin, k)];
    RelayMsg m = RelayMsg.newBuilder()
        .setRoom(room)
        .setPublisher(Workload.publisherId(room, k))
        .setPubSeq(pubSeq)
        .setStampNanos(stamp)
        .setPayload(pad)
        .build();
    if (from.index == admin) {
      from.sequence(m);
    } else {
      from.out[admin].enqueue(m);
    }
  }

  @Override
  public void close() throws Exception {
    for (Node n : nodes) {
      if (n != null) {
        n.close();
      }
    }
  }

  private final class Node {
    final int index;
    final Server server;
    final Outbound[] out = new Outbound[Workload.NODES];
    final List<ManagedChannel> channels = new ArrayList<>();
    final long[] roomSeq;
    final Object[] roomLocks;
    final int[][] localSubs; // per room: subscriber indexes on this node

    Node(int index) throws Exception {
      this.index = index;
      roomSeq = new long[w.rooms()];
      roomLocks = new Object[w.rooms()];
      localSubs = new int[w.rooms()][];
      for (int r = 0; r < w.rooms(); r++) {
        roomLocks[r] = new Object();
        List<Integer> mine = new ArrayList<>();
        for (int s = 0; s < w.subscribers(); s++) {
          if (Workload.subscriberNode(s) == index) {
            mine.add(s);
          }
        }
        localSubs[r] = mine.stream().mapToInt(Integer::intValue).toArray();
      }
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .directExecutor()
          .addService(new RelayGrpc.RelayImplBase() {
            @Override
            public StreamObserver<RelayBatch> stream(StreamObserver<RelayAck> responses) {
              return new StreamObserver<>() {
                @Override
                public void onNext(RelayBatch batch) {
                  for (int i = 0, n = batch.getMsgsCount(); i < n; i++) {
                    RelayMsg m = batch.getMsgs(i);
                    if (m.getSeq() == 0) {
                      sequence(m);
                    } else {
                      deliverLocal(m);
                    }
                  }
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {
                  responses.onCompleted();
                }
              };
            }
          })
          .build()
          .start();
    }

    void connect(CountDownLatch connected) {
      for (int j = 0; j < Workload.NODES; j++) {
        if (j == index) {
          continue;
        }
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", nodes[j].server.getPort())
            .usePlaintext()
            .directExecutor()
            .build();
        channels.add(ch);
        out[j] = new Outbound(ch, connected);
      }
    }

    /** On the relay node: number the message and pass it on (local subscribers and the other nodes). */
    void sequence(RelayMsg m) {
      int r = m.getRoom();
      synchronized (roomLocks[r]) {
        RelayMsg numbered = m.toBuilder().setSeq(++roomSeq[r]).build();
        for (int j = 0; j < Workload.NODES; j++) {
          if (j != index) {
            out[j].enqueue(numbered);
          }
        }
        deliverLocal(numbered);
      }
    }

    void deliverLocal(RelayMsg m) {
      int r = m.getRoom();
      for (int s : localSubs[r]) {
        tracker.deliver(r, s, m.getPublisher(), m.getPubSeq(), m.getStampNanos());
      }
    }

    void close() throws InterruptedException {
      for (Outbound o : out) {
        if (o != null) {
          o.close();
        }
      }
      for (ManagedChannel ch : channels) {
        ch.shutdownNow();
      }
      server.shutdownNow();
      for (ManagedChannel ch : channels) {
        ch.awaitTermination(5, TimeUnit.SECONDS);
      }
      server.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** One outbound stream: an MPSC queue drained into batches by one drainer at a time. */
  private static final class Outbound implements ClientResponseObserver<RelayBatch, RelayAck> {
    final ConcurrentLinkedQueue<RelayMsg> queue = new ConcurrentLinkedQueue<>();
    final AtomicInteger wip = new AtomicInteger();
    final CountDownLatch connected;
    volatile ClientCallStreamObserver<RelayBatch> requests;
    volatile boolean readyOnce;

    Outbound(ManagedChannel ch, CountDownLatch connected) {
      this.connected = connected;
      RelayGrpc.newStub(ch).stream(this);
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<RelayBatch> requestStream) {
      this.requests = requestStream;
      requestStream.setOnReadyHandler(() -> {
        if (!readyOnce) {
          readyOnce = true;
          connected.countDown();
        }
        schedule();
      });
    }

    void enqueue(RelayMsg m) {
      queue.offer(m);
      schedule();
    }

    /** Drain on the calling thread if no one else is draining; otherwise that drainer picks it up. */
    void schedule() {
      if (wip.getAndIncrement() != 0) {
        return;
      }
      int missed = 1;
      do {
        ClientCallStreamObserver<RelayBatch> r = requests;
        while (r != null && r.isReady() && !queue.isEmpty()) {
          RelayBatch.Builder b = RelayBatch.newBuilder();
          RelayMsg m;
          int n = 0;
          while (n < MAX_BATCH && (m = queue.poll()) != null) {
            b.addMsgs(m);
            n++;
          }
          r.onNext(b.build());
        }
        missed = wip.addAndGet(-missed);
      } while (missed != 0);
    }

    void close() {
      ClientCallStreamObserver<RelayBatch> r = requests;
      if (r != null) {
        try {
          r.onCompleted();
        } catch (RuntimeException ignored) {
          // already cancelled
        }
      }
    }

    @Override
    public void onNext(RelayAck value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
