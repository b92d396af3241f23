package io.chatmesh.bench;

import io.chatmesh.ChatNode;
import io.chatmesh.transport.grpc.GrpcTransport;
import io.chatmesh.websocket.WebSocketGateway;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * WebSocket fan-out: 3 chatmesh nodes over gRPC on 127.0.0.1, each with a {@link WebSocketGateway};
 * {@code rooms x subscribers} WebSocket clients (client s of a room on node {@code s % 3}), each a
 * member of one room; the publishers are WebSocket clients too (the first member on each non-admin
 * node). Clients run in this JVM on their own Netty event loops (2 threads), so the latency stamp
 * in the text is comparable; their CPU is part of the measurement (the machine has only 2 cores).
 * The per-connection request rate limit is lifted for the benchmark (default 50/s). Not thread-safe
 * for start/close.
 */
public final class WebSocketSystem implements BenchSystem {
  private Workload w;
  private final ChatNode[] nodes = new ChatNode[Workload.NODES];
  private final WebSocketGateway[] gateways = new WebSocketGateway[Workload.NODES];
  private WsClients clients;
  private final List<WsClients.Client> all = new ArrayList<>();
  private WsClients.Client[][] publishers;

  @Override
  public String name() {
    return "chatmesh-websocket";
  }

  @Override
  public int adminOf(int room) {
    return room % Workload.NODES;
  }

  @Override
  public void start(Workload w, Tracker tracker) throws Exception {
    this.w = w;
    for (int i = 0; i < nodes.length; i++) {
      ChatNode.Builder b = ChatNode.builder().nodeId("n" + i).requestTimeout(Duration.ofSeconds(30)).transport(GrpcTransport.builder("127.0.0.1:0").plaintext().build());
      if (i > 0) {
        b.seeds(nodes[0].address());
      }
      nodes[i] = b.build().start();
      gateways[i] = WebSocketGateway.builder(nodes[i]).port(0).maxRequestsPerSecond(1_000_000)
          // a throughput benchmark: the per-user and per-room rate limits (100/s by default) would
          // refuse most of its sends, so they are lifted like the per-connection one
          .limits(io.chatmesh.websocket.GatewayLimits.builder()
              .maxRequestsPerSecondPerUser(1_000_000)
              .maxMessagesPerSecondPerRoom(1_000_000)
              .maxConnectionsPerAddress(1_000_000)
              .build())
          .build().start();
    }
    ChatmeshSystem.awaitTrue(() -> {
      for (ChatNode n : nodes) {
        if (n.liveNodes().size() < Workload.NODES - 1 || !n.isReady()) {
          return false;
        }
      }
      return true;
    }, "3 chatmesh nodes to see each other");
    for (int r = 0; r < w.rooms(); r++) {
      nodes[adminOf(r)].createRoom("room-" + r).get(30, TimeUnit.SECONDS);
    }
    for (int r = 0; r < w.rooms(); r++) {
      String name = "room-" + r;
      for (ChatNode n : nodes) {
        ChatmeshSystem.awaitTrue(() -> n.room(name).isPresent(), "room " + name + " on " + n.id());
      }
    }
    clients = new WsClients(2);
    publishers = new WsClients.Client[w.rooms()][Workload.PUBLISHERS_PER_ROOM];
    Semaphore concurrency = new Semaphore(200);
    List<CompletableFuture<?>> joins = new ArrayList<>();
    int count = 0;
    for (int r = 0; r < w.rooms(); r++) {
      for (int s = 0; s < w.subscribers(); s++) {
        int room = r;
        int sub = s;
        int node = Workload.subscriberNode(s);
        Codec.Delivery d = new Codec.Delivery(); // one client's frames arrive on one event loop thread
        // several source addresses so ports cannot run short
        String local = "127.0.0." + (2 + (count++ % 8));
        concurrency.acquire();
        WsClients.Client c = clients.connect(local, gateways[node].port(), json -> {
          Codec.decodeText(WsClients.textField(json), d);
          tracker.deliver(room, sub, d.publisher, d.pubSeq, d.stamp);
        });
        all.add(c);
        CompletableFuture<?> f = c.handshake.orTimeout(30, TimeUnit.SECONDS)
            .thenCompose(x -> c.request("{\"type\":\"hello\",\"user\":\"u" + room + "-" + sub + "\"}", "welcome"))
            .thenCompose(x -> c.request("{\"type\":\"join\",\"room\":\"room-" + room + "\"}", "joined"))
            .whenComplete((x, e) -> concurrency.release());
        joins.add(f);
      }
      for (int k = 0; k < Workload.PUBLISHERS_PER_ROOM; k++) {
        int node = Workload.publisherNode(adminOf(r), k);
        publishers[r][k] = all.get(r * w.subscribers() + node); // subscriber index == node: first member there
      }
    }
    CompletableFuture.allOf(joins.toArray(new CompletableFuture<?>[0])).get(120, TimeUnit.SECONDS);
  }

  @Override
  public void publish(int room, int k, long pubSeq, long stamp) {
    int publisher = Workload.publisherId(room, k);
    String text = Codec.encodeText(w.payloadBytes(), room, publisher, pubSeq, stamp);
    publishers[room][k].send("{\"type\":\"send\",\"room\":\"room-" + room + "\",\"text\":\"" + text + "\",\"id\":\"" + publisher + "-" + pubSeq + "\"}");
  }

  @Override
  public void close() {
    for (WsClients.Client c : all) {
      c.close();
    }
    if (clients != null) {
      clients.close();
    }
    for (int i = nodes.length - 1; i >= 0; i--) {
      if (gateways[i] != null) {
        gateways[i].close();
      }
      if (nodes[i] != null) {
        nodes[i].close();
      }
    }
  }
}
