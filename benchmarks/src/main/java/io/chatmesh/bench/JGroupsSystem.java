package io.chatmesh.bench;

import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Receiver;

/**
 * JGroups 5.4 with a TCP + TCPPING + SEQUENCER stack on 127.0.0.1: total order across the group by
 * forwarding every multicast to the coordinator, which numbers and re-broadcasts it (the closest
 * published design to chatmesh's forward-to-admin).
 *
 * <p>One channel per node, rooms multiplexed in the one group with the room id in the message.
 * Why not one channel per room: SEQUENCER orders a whole group through its coordinator, so one
 * group per room would only add 3 channels (each with its own TCP connections, timers and thread
 * pool) per room — 300 channels for 100 rooms on a 2-core machine — and per-room total order is
 * implied by the group-wide total order anyway. The sequencer is the coordinator (node 0) for every
 * room, so publishers sit on nodes 1 and 2 and every message takes the forward hop.
 *
 * <p>Tuning: {@code tcp_nodelay=true}, the default {@code transfer-queue} bundler (batches whatever
 * is queued per destination, up to 64 KB) and generous flow-control credits; no FD_SOCK2 (fewer
 * ports). Not thread-safe for start/close.
 */
public final class JGroupsSystem implements BenchSystem {
  private final String bundler;
  private Workload w;
  private final JChannel[] channels = new JChannel[Workload.NODES];

  public JGroupsSystem() {
    this("transfer-queue");
  }

  public JGroupsSystem(String bundler) {
    this.bundler = bundler;
  }

  @Override
  public String name() {
    return "jgroups-seq";
  }

  @Override
  public int adminOf(int room) {
    return 0; // the coordinator sequences every room
  }

  static String config(int basePort, String bundler) {
    String hosts = "127.0.0.1[" + basePort + "],127.0.0.1[" + (basePort + 1) + "],127.0.0.1[" + (basePort + 2) + "]";
    return """
        <config xmlns="urn:org:jgroups">
          <TCP bind_addr="127.0.0.1" bind_port="%d" port_range="2"
               tcp_nodelay="true" bundler_type="%s"
               thread_pool.min_threads="0" thread_pool.max_threads="32" thread_pool.keep_alive_time="30000"/>
          <TCPPING async_discovery="true" initial_hosts="%s" port_range="0"/>
          <MERGE3 min_interval="10s" max_interval="30s"/>
          <FD_ALL3 timeout="40s" interval="5s"/>
          <VERIFY_SUSPECT2 timeout="1.5s"/>
          <BARRIER/>
          <pbcast.NAKACK2 use_mcast_xmit="false"/>
          <UNICAST3/>
          <pbcast.STABLE desired_avg_gossip="50s" max_bytes="8M"/>
          <pbcast.GMS print_local_addr="false" join_timeout="2s"/>
          <UFC max_credits="10M" min_threshold="0.4"/>
          <MFC max_credits="10M" min_threshold="0.4"/>
          <SEQUENCER/>
          <FRAG4 frag_size="60K"/>
        </config>
        """.formatted(basePort, bundler, hosts);
  }

  @Override
  public void start(Workload w, Tracker tracker) throws Exception {
    this.w = w;
    int base = freePortRun(3);
    String xml = config(base, bundler);
    for (int i = 0; i < channels.length; i++) {
      JChannel ch = new JChannel(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
      ch.setName("n" + i);
      int node = i;
      int[] local = localSubscribers(node);
      ch.setReceiver(new Receiver() {
        @Override
        public void receive(Message msg) {
          Codec.Delivery d = new Codec.Delivery();
          BytesMessage bm = (BytesMessage) msg;
          Codec.decode(bm.getArray(), bm.getOffset(), d);
          for (int s : local) {
            tracker.deliver(d.room, s, d.publisher, d.pubSeq, d.stamp);
          }
        }
      });
      ch.connect("chatmesh-bench");
      channels[i] = ch;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (channels[0].getView().size() < Workload.NODES || !channels[0].getAddress().equals(channels[0].getView().getCoord())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("JGroups view did not reach 3 members with n0 as coordinator: " + channels[0].getView());
      }
      Thread.sleep(10);
    }
  }

  private int[] localSubscribers(int node) {
    List<Integer> mine = new ArrayList<>();
    for (int s = 0; s < w.subscribers(); s++) {
      if (Workload.subscriberNode(s) == node) {
        mine.add(s);
      }
    }
    return mine.stream().mapToInt(Integer::intValue).toArray();
  }

  @Override
  public void publish(int room, int k, long pubSeq, long stamp) {
    JChannel from = channels[Workload.publisherNode(adminOf(room), k)];
    byte[] b = Codec.encode(w.payloadBytes(), room, Workload.publisherId(room, k), pubSeq, stamp);
    try {
      from.send(new BytesMessage(null, b));
    } catch (Exception e) {
      throw new IllegalStateException("JGroups send failed", e);
    }
  }

  @Override
  public void close() {
    for (int i = channels.length - 1; i >= 0; i--) {
      if (channels[i] != null) {
        channels[i].close();
      }
    }
  }

  /**
   * A base port with {@code n} consecutive free ports on 127.0.0.1, picked at random below the
   * kernel's ephemeral range (32768+) so outgoing connections and their TIME_WAIT entries cannot
   * collide with it; probed without SO_REUSEADDR (best effort: another process may still take one).
   */
  static int freePortRun(int n) throws Exception {
    java.util.Random random = new java.util.Random();
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = 20_000 + random.nextInt(12_000);
      boolean ok = true;
      for (int p = base; p < base + n && ok; p++) {
        try (ServerSocket s = new ServerSocket()) {
          s.setReuseAddress(false);
          s.bind(new InetSocketAddress("127.0.0.1", p));
        } catch (java.io.IOException e) {
          ok = false;
        }
      }
      if (ok) {
        return base;
      }
    }
    throw new IllegalStateException("no run of " + n + " free ports on 127.0.0.1 in 20000..32000");
  }
}
