package io.chatmesh.bench;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.ReliableTopicConfig;
import com.hazelcast.config.RingbufferConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.topic.ITopic;
import com.hazelcast.topic.ReliableMessageListener;
import com.hazelcast.topic.TopicOverloadPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Hazelcast 5.7 embedded: 3 members on 127.0.0.1 (multicast off, TCP/IP join), one ReliableTopic
 * per room (a ringbuffer on one partition: its owner is the room's single point of order, the
 * closest semantics to one sequencer per room). Each room's topic name is chosen so that the
 * ringbuffer's partition is owned by the room's admin node (round-robin), and publishers sit on the
 * other two nodes, so every message takes the forward hop as in chatmesh.
 *
 * <p>Fan-out: one listener per (node, room) hands each message to that node's local subscribers,
 * the same as the other systems (a Hazelcast listener per subscriber would make every subscriber
 * poll the ringbuffer separately). Fair tuning: no ringbuffer backups (chatmesh does not replicate
 * either), read batches of up to 100 (better than the default 10 and than 1000 here), publishAsync,
 * ringbuffers sized to ~300 MB in total (10k..1M entries each), no TTL.
 * Listeners are not loss-tolerant, so a reader that falls off the ringbuffer shows up as loss.
 * Not thread-safe for start/close.
 */
public final class HazelcastSystem implements BenchSystem {
  static final int READ_BATCH = Integer.getInteger("bench.hz.readBatch", 100);
  private Workload w;
  private Tracker tracker;
  private final HazelcastInstance[] members = new HazelcastInstance[Workload.NODES];
  private List<ITopic<byte[]>[]> topics; // per room: the topic proxy on each node
  private final List<UUID[]> registrations = new ArrayList<>();

  @Override
  public String name() {
    return "hazelcast-rt";
  }

  @Override
  public int adminOf(int room) {
    return room % Workload.NODES;
  }

  @Override
  @SuppressWarnings("unchecked")
  public void start(Workload w, Tracker tracker) throws Exception {
    this.w = w;
    System.setProperty("hazelcast.logging.type", "slf4j");
    System.setProperty("hazelcast.phone.home.enabled", "false");
    this.tracker = tracker;
    int base = JGroupsSystem.freePortRun(3);
    // Ringbuffers keep messages until overwritten: bound what all rooms retain to ~300 MB of heap.
    // No TTL: with a 2 s TTL (needed for the BLOCK overload policy to apply) deliveries stalled in
    // our runs. Without it the ringbuffer overwrites the oldest item; a reader lapped by the writer
    // would fail (not loss tolerant) and show up as loss in the check.
    int capacity = (int) Math.max(10_000, Math.min(1_000_000, 300_000_000L / (w.payloadBytes() + 100) / w.rooms()));
    String cluster = "bench-" + UUID.randomUUID();
    for (int i = 0; i < members.length; i++) {
      Config c = new Config();
      c.setClusterName(cluster);
      c.setInstanceName("hz-n" + i + "-" + cluster);
      c.setProperty("hazelcast.phone.home.enabled", "false");
      c.setProperty("hazelcast.partition.count", "271");
      NetworkConfig n = c.getNetworkConfig();
      n.setPort(base).setPortAutoIncrement(true).setPortCount(3).setReuseAddress(true);
      n.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
      JoinConfig j = n.getJoin();
      j.getMulticastConfig().setEnabled(false);
      j.getAutoDetectionConfig().setEnabled(false);
      j.getTcpIpConfig().setEnabled(true)
          .addMember("127.0.0.1:" + base).addMember("127.0.0.1:" + (base + 1)).addMember("127.0.0.1:" + (base + 2));
      c.addReliableTopicConfig(new ReliableTopicConfig("room-*")
          .setReadBatchSize(READ_BATCH)
          .setStatisticsEnabled(false)
          .setTopicOverloadPolicy(TopicOverloadPolicy.BLOCK));
      c.addRingBufferConfig(new RingbufferConfig("room-*") // a topic's ringbuffer is configured under the topic name
          .setCapacity(capacity)
          .setBackupCount(0)
          .setAsyncBackupCount(0)
          .setTimeToLiveSeconds(Integer.getInteger("bench.hz.ttl", 0)));
      members[i] = Hazelcast.newHazelcastInstance(c);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (members[0].getCluster().getMembers().size() < Workload.NODES
        || !members[0].getPartitionService().isClusterSafe()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Hazelcast cluster did not form: " + members[0].getCluster().getMembers());
      }
      Thread.sleep(20);
    }
    topics = new ArrayList<>();
    int candidate = 0;
    for (int r = 0; r < w.rooms(); r++) {
      int admin = adminOf(r);
      // pick a topic name whose ringbuffer partition is owned by the admin member
      String name;
      while (true) {
        name = "room-" + r + "-" + candidate++;
        var owner = members[0].getPartitionService().getPartition("_hz_rb_" + name).getOwner();
        if (owner != null && owner.getUuid().equals(members[admin].getCluster().getLocalMember().getUuid())) {
          break;
        }
      }
      ITopic<byte[]>[] perNode = new ITopic[Workload.NODES];
      UUID[] regs = new UUID[Workload.NODES];
      for (int i = 0; i < Workload.NODES; i++) {
        perNode[i] = members[i].getReliableTopic(name);
        int[] local = localSubscribers(i);
        regs[i] = perNode[i].addMessageListener(new Listener(tracker, local));
      }
      if (r == 0) {
        var rb = members[admin].getRingbuffer("_hz_rb_" + name);
        var cfg = members[admin].getConfig().findRingbufferConfig(name);
        System.out.println("[hazelcast-rt] ringbuffer " + rb.getName() + ": capacity " + rb.capacity()
            + " (configured " + cfg.getCapacity() + "), backups " + cfg.getBackupCount() + ", ttl " + cfg.getTimeToLiveSeconds() + " s, read batch " + READ_BATCH);
      }
      topics.add(perNode);
      registrations.add(regs);
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
    ITopic<byte[]> t = topics.get(room)[Workload.publisherNode(adminOf(room), k)];
    byte[] b = Codec.encode(w.payloadBytes(), room, Workload.publisherId(room, k), pubSeq, stamp);
    t.publishAsync(b).whenComplete((v, e) -> {
      if (e != null) {
        tracker.publishFailed(room, k);
      }
    });
  }

  @Override
  public void close() {
    for (HazelcastInstance m : members) {
      if (m != null) {
        m.getLifecycleService().terminate();
      }
    }
  }

  private static final class Listener implements ReliableMessageListener<byte[]> {
    private final Tracker tracker;
    private final int[] local;
    private final Codec.Delivery d = new Codec.Delivery();

    Listener(Tracker tracker, int[] local) {
      this.tracker = tracker;
      this.local = local;
    }

    @Override
    public void onMessage(com.hazelcast.topic.Message<byte[]> message) {
      byte[] b = message.getMessageObject();
      Codec.decode(b, 0, d);
      for (int s : local) {
        tracker.deliver(d.room, s, d.publisher, d.pubSeq, d.stamp);
      }
    }

    @Override
    public long retrieveInitialSequence() {
      return -1;
    }

    @Override
    public void storeSequence(long sequence) {}

    @Override
    public boolean isLossTolerant() {
      return false;
    }

    @Override
    public boolean isTerminal(Throwable failure) {
      return true;
    }
  }
}
