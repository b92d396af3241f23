package io.chatmesh.bench;

import io.chatmesh.ChatMessage;
import io.chatmesh.ChatNode;
import io.chatmesh.Room;
import io.chatmesh.UserId;
import io.chatmesh.transport.grpc.GrpcTransport;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * chatmesh itself: 3 {@link ChatNode}s over the gRPC transport on 127.0.0.1 (or over the in-memory
 * transport, which shows what serialisation and the network cost). Room r is created on node
 * {@code r % 3} (its admin); subscriber s joins through node {@code s % 3}; publisher k of a room is
 * the first subscriber on the k-th non-admin node, so it is a member (as chatmesh requires) and
 * every message is forwarded to the admin. The (publisher, pubSeq, nanoTime) header is encoded in
 * the text; each send carries a client message id. Not thread-safe for start/close.
 */
public final class ChatmeshSystem implements BenchSystem {
  private final boolean grpc;
  private Workload w;
  private Tracker tracker;
  private @Nullable InMemoryNetwork network;
  private final ChatNode[] nodes = new ChatNode[Workload.NODES];
  private final GrpcTransport[] transports = new GrpcTransport[Workload.NODES];
  private Room[][] publisherRooms; // [room][k] handle on the publisher's node
  private UserId[][] publisherUsers;

  public ChatmeshSystem(boolean grpc) {
    this.grpc = grpc;
  }

  @Override
  public String name() {
    return grpc ? "chatmesh-grpc" : "chatmesh-inmem";
  }

  @Override
  public int adminOf(int room) {
    return room % Workload.NODES;
  }

  private static UserId user(int room, int s) {
    return UserId.of("u" + room + "-" + s);
  }

  @Override
  public void start(Workload w, Tracker tracker) throws Exception {
    this.w = w;
    this.tracker = tracker;
    if (!grpc) {
      network = new InMemoryNetwork();
    }
    for (int i = 0; i < nodes.length; i++) {
      ChatNode.Builder b = ChatNode.builder().nodeId("n" + i).requestTimeout(Duration.ofSeconds(30));
      // library defaults unless overridden for an experiment (-Dbench.chatmesh.resendBuffer=N, .dedupWindow=N, .historyLimit=N)
      Integer resend = Integer.getInteger("bench.chatmesh.resendBuffer");
      Integer dedup = Integer.getInteger("bench.chatmesh.dedupWindow");
      if (resend != null) {
        b.resendBufferSize(resend);
      }
      if (dedup != null) {
        b.dedupWindow(dedup);
      }
      Integer history = Integer.getInteger("bench.chatmesh.historyLimit");
      if (history != null) {
        b.historyInMemoryLimit(history);
      }
      if (grpc) {
        GrpcTransport t = GrpcTransport.builder("127.0.0.1:0").plaintext().build();
        transports[i] = t;
        b.transport(t);
      } else {
        b.transport(network.transport("n" + i));
      }
      if (i > 0) {
        b.seeds(nodes[0].address());
      }
      nodes[i] = b.build().start();
    }
    awaitTrue(() -> {
      for (ChatNode n : nodes) {
        if (n.liveNodes().size() < Workload.NODES - 1 || !n.isReady()) {
          return false;
        }
      }
      return true;
    }, "3 chatmesh nodes to see each other");

    publisherRooms = new Room[w.rooms()][Workload.PUBLISHERS_PER_ROOM];
    publisherUsers = new UserId[w.rooms()][Workload.PUBLISHERS_PER_ROOM];
    for (int r = 0; r < w.rooms(); r++) {
      nodes[adminOf(r)].createRoom(roomName(r)).get(30, TimeUnit.SECONDS);
    }
    for (int r = 0; r < w.rooms(); r++) {
      String name = roomName(r);
      Room[] handles = new Room[Workload.NODES];
      for (int i = 0; i < Workload.NODES; i++) {
        ChatNode n = nodes[i];
        awaitTrue(() -> n.room(name).isPresent(), "room " + name + " to be known on node " + i);
        handles[i] = n.room(name).orElseThrow();
      }
      int room = r;
      for (int s = 0; s < w.subscribers(); s++) {
        int sub = s;
        Codec.Delivery d = new Codec.Delivery(); // listener calls for one room on one node are serial
        handles[Workload.subscriberNode(s)].join(user(r, s), event -> {
          if (event instanceof ChatMessage m) {
            Codec.decodeText(m.text(), d);
            tracker.deliver(room, sub, d.publisher, d.pubSeq, d.stamp);
          }
        }).get(30, TimeUnit.SECONDS);
      }
      for (int k = 0; k < Workload.PUBLISHERS_PER_ROOM; k++) {
        int node = Workload.publisherNode(adminOf(r), k);
        publisherRooms[r][k] = handles[node];
        publisherUsers[r][k] = user(r, node); // subscriber index == node index: the first one on that node
      }
    }
  }

  private static String roomName(int r) {
    return "room-" + r;
  }

  @Override
  public void publish(int room, int k, long pubSeq, long stamp) {
    int publisher = Workload.publisherId(room, k);
    String text = Codec.encodeText(w.payloadBytes(), room, publisher, pubSeq, stamp);
    publisherRooms[room][k]
        .send(publisherUsers[room][k], text, publisher + "-" + pubSeq)
        .whenComplete((sent, e) -> {
          if (e != null) {
            tracker.publishFailed(room, k);
          }
        });
  }

  @Override
  public void close() {
    if (grpc) {
      long env = 0, batches = 0, dropped = 0;
      for (GrpcTransport t : transports) {
        if (t != null) {
          GrpcTransport.Stats st = t.stats();
          env += st.envelopesSent();
          batches += st.batchesSent();
          dropped += st.droppedQueueFull() + st.droppedClosed() + st.droppedRejected() + st.droppedUnroutable();
        }
      }
      System.out.printf(java.util.Locale.ROOT, "[chatmesh-grpc] transport: %,d envelopes in %,d batches (%.2f per batch), %,d dropped%n",
          env, batches, batches == 0 ? 0.0 : (double) env / batches, dropped);
    }
    for (int i = nodes.length - 1; i >= 0; i--) {
      if (nodes[i] != null) {
        nodes[i].close();
      }
    }
    if (network != null) {
      network.close();
    }
  }

  interface Condition {
    boolean holds();
  }

  static void awaitTrue(Condition c, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!c.holds()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after 30 s waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

}
