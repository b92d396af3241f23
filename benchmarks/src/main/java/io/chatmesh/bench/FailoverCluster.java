package io.chatmesh.bench;

import io.chatmesh.ChatNode;
import io.chatmesh.Failover;
import io.chatmesh.lease.InMemoryRoomLeases;
import io.chatmesh.testkit.CuttableLeases;
import io.chatmesh.transport.faults.FaultInjector;
import io.chatmesh.transport.grpc.GrpcTransport;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Three {@link ChatNode}s ({@code n0..n2}) over the gRPC transport on 127.0.0.1, each transport
 * wrapped by one {@link FaultInjector}, with or without {@link Failover} (one {@link
 * InMemoryRoomLeases} shared by the nodes, each node behind its own view of it, a {@link
 * CuttableLeases} from chatmesh-core's test kit).
 * {@link #crash(int)} kills a node as a process death looks to the others: the injector partitions
 * it from everyone (its goodbye and everything else it sends are dropped), its lease backend stops
 * answering (every call fails UNAVAILABLE, so its leases lapse by themselves; it may still be told
 * of lease changes, but cannot act on them), and the node object is then closed on a background thread so its threads and sockets
 * go away. Not thread-safe: one driver thread.
 */
final class FailoverCluster implements AutoCloseable {
  static final int NODES = 3;

  /** The failover configurations compared by {@link FailoverBench}. */
  enum Mode {
    NONE("none", 0, null),
    RF1("rf1", 1, Failover.Acks.REPLICATED),
    RF3_REPLICATED("rf3-replicated", 3, Failover.Acks.REPLICATED),
    RF3_ADMIN_ONLY("rf3-admin-only", 3, Failover.Acks.ADMIN_ONLY);

    final String label;
    final int replicationFactor;
    final Failover.@Nullable Acks acks;

    Mode(String label, int replicationFactor, Failover.@Nullable Acks acks) {
      this.label = label;
      this.replicationFactor = replicationFactor;
      this.acks = acks;
    }

    static Mode parse(String label) {
      for (Mode m : values()) {
        if (m.label.equals(label)) {
          return m;
        }
      }
      throw new IllegalArgumentException("unknown failover configuration '" + label + "' (known: none, rf1, rf3-replicated, rf3-admin-only)");
    }

    String describe() {
      return this == NONE ? "no failover (today's default)" : "Failover replicationFactor " + replicationFactor + ", acks " + acks;
    }
  }

  /**
   * Timing settings; a null field keeps the library default.
   *
   * @param heartbeat {@code ChatNode.Builder.heartbeatInterval}
   * @param failureTimeout {@code ChatNode.Builder.failureTimeout}
   * @param requestTimeout {@code ChatNode.Builder.requestTimeout}
   * @param lease {@code Failover.Builder.leaseDuration}
   * @param renew {@code Failover.Builder.renewInterval}
   * @param drift {@code Failover.Builder.maxClockDrift}
   */
  record Timing(@Nullable Duration heartbeat, @Nullable Duration failureTimeout, @Nullable Duration requestTimeout,
      @Nullable Duration lease, @Nullable Duration renew, @Nullable Duration drift) {

    String describe() {
      return String.format(Locale.ROOT, "heartbeatInterval %s, failureTimeout %s, requestTimeout %s, leaseDuration %s, renewInterval %s, maxClockDrift %s",
          ms(heartbeat, "500 ms"), ms(failureTimeout, "3000 ms"), ms(requestTimeout, "5000 ms"), ms(lease, "6000 ms"), ms(renew, "2000 ms"),
          ms(drift, "500 ms"));
    }

    private static String ms(@Nullable Duration d, String libraryDefault) {
      return d == null ? libraryDefault + " (default)" : d.toMillis() + " ms";
    }
  }

  private final FaultInjector faults = new FaultInjector(1);
  private final InMemoryRoomLeases sharedLeases = new InMemoryRoomLeases();
  private final CuttableLeases.Net leases = new CuttableLeases.Net(sharedLeases);
  private final ChatNode[] nodes = new ChatNode[NODES];
  private final GrpcTransport[] transports = new GrpcTransport[NODES];
  private final boolean[] crashed = new boolean[NODES];
  private @Nullable Thread closer;

  private FailoverCluster() {}

  /** Starts the 3 nodes and waits (bounded) until each sees the others and is ready. */
  static FailoverCluster start(Mode mode, Timing timing) throws Exception {
    FailoverCluster c = new FailoverCluster();
    try {
      for (int i = 0; i < NODES; i++) {
        String name = name(i);
        ChatNode.Builder b = ChatNode.builder().nodeId(name);
        if (timing.heartbeat() != null) {
          b.heartbeatInterval(timing.heartbeat());
        }
        if (timing.failureTimeout() != null) {
          b.failureTimeout(timing.failureTimeout());
        }
        if (timing.requestTimeout() != null) {
          b.requestTimeout(timing.requestTimeout());
        }
        GrpcTransport t = GrpcTransport.builder("127.0.0.1:0").plaintext().build();
        c.transports[i] = t;
        b.transport(c.faults.wrap(name, t));
        if (mode != Mode.NONE) {
          Failover.Builder f = Failover.builder(c.leases.view(name)).replicationFactor(mode.replicationFactor).acks(mode.acks);
          if (timing.lease() != null) {
            f.leaseDuration(timing.lease());
          }
          if (timing.renew() != null) {
            f.renewInterval(timing.renew());
          }
          if (timing.drift() != null) {
            f.maxClockDrift(timing.drift());
          }
          b.failover(f.build());
        }
        if (i > 0) {
          b.seeds(c.nodes[0].address());
        }
        c.nodes[i] = b.build().start();
      }
      ChatmeshSystem.awaitTrue(() -> {
        for (ChatNode n : c.nodes) {
          if (n.liveNodes().size() < NODES - 1 || !n.isReady()) {
            return false;
          }
        }
        return true;
      }, "3 chatmesh nodes to see each other and be ready");
      return c;
    } catch (Exception | Error e) {
      c.close();
      throw e;
    }
  }

  static String name(int i) {
    return "n" + i;
  }

  ChatNode node(int i) {
    return nodes[i];
  }

  /**
   * Kills node {@code i} abruptly (see the class doc) and starts closing it in the background; the
   * others learn of it only through their failure detector and the lease lapsing.
   */
  void crash(int i) {
    Set<String> others = new HashSet<>();
    for (int j = 0; j < NODES; j++) {
      if (j != i) {
        others.add(name(j));
      }
    }
    faults.partition(Set.of(name(i)), others);
    leases.cut(name(i)); // a node without failover has no view: nothing to cut
    crashed[i] = true;
    ChatNode victim = nodes[i];
    Thread t = new Thread(victim::close, "crash-closer-" + name(i));
    t.setDaemon(true);
    t.start();
    closer = t;
  }

  @Override
  public void close() {
    for (int i = NODES - 1; i >= 0; i--) {
      if (nodes[i] != null && !crashed[i]) {
        try {
          nodes[i].close();
        } catch (RuntimeException e) {
          System.out.println("  closing " + name(i) + " failed: " + e);
        }
      }
    }
    if (closer != null) {
      try {
        closer.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    sharedLeases.close();
  }
}
