package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chatmesh.ChatNode;
import io.chatmesh.time.ManualClock;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import io.chatmesh.wire.Hello;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What forming a cluster costs each node, counted over the in-memory transport: N nodes start, all
 * seeding the first three, on a clock that does not move (no heartbeat round after the first, no
 * greeting repeated for lack of time), so formation is the hello cascade alone and the counts
 * depend on N, not on the machine's speed. Each node must send O(N) messages: it greets each
 * peer at most once and answers each greeting once, however many peer lists name that peer, and
 * each greeting gets one directory snapshot. Before this was pinned, every peer list a node heard
 * made it greet every peer it had not heard back from yet: O(N^2) hellos per node (30 nodes sent
 * 25,000 hellos and as many directory snapshots, 60 nodes 2.4 million each).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FormationCostTest {
  private final ManualClock clock = new ManualClock();
  private final InMemoryNetwork net = new InMemoryNetwork(7, clock);
  private final Map<String, LongAdder> sent = new ConcurrentHashMap<>();
  private final LongAdder helloEntries = new LongAdder();
  private final List<ChatNode> nodes = new ArrayList<>();

  @AfterEach
  void close() {
    nodes.forEach(ChatNode::close);
  }

  @Test
  void formingACluster_costsEachNodeMessagesLinearInItsSize() {
    int n = 40;
    int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
    form(n);
    int threads = ManagementFactory.getThreadMXBean().getThreadCount() - threadsBefore;
    Map<String, Long> counts = counts();
    long hellos = counts.getOrDefault("Hello", 0L);
    long snapshots = counts.getOrDefault("DirectoryUpdate", 0L);
    // per node: a greeting to each of the N-1 others and to the seeds, and an answer to each greeting
    assertThat(hellos).as("hellos while %d nodes form: %s", n, counts).isLessThanOrEqualTo((long) n * (2L * (n - 1) + 3));
    // per node: a directory snapshot to each node that greeted it or answered its greeting
    assertThat(snapshots).as("directory updates while %d nodes form: %s", n, counts).isLessThanOrEqualTo((long) n * 2L * (n - 1));
    assertThat(counts.keySet()).as("no heartbeat round ran: the clock stood still").containsOnly("Hello", "DirectoryUpdate");
    // each hello lists at most the N-1 peers it knows: O(N) hellos of O(N) entries per node
    assertThat(helloEntries.sum()).as("peer entries in hellos").isLessThanOrEqualTo(hellos * (n - 1));
    // threads per node are a constant: at most 2 lane-pool threads and the in-memory inbound thread
    assertThat(threads).as("threads started by %d nodes", n).isLessThanOrEqualTo(3 * n + 4);
  }

  @Test
  void messagesPerNode_growLinearlyWithTheCluster() {
    form(10);
    double small = total() / 10.0;
    nodes.forEach(ChatNode::close);
    nodes.clear();
    sent.clear();
    form(40);
    double large = total() / 40.0;
    // 4x the nodes: at most ~4x the messages per node (N^2 per node would be 16x)
    assertThat(large / small).as("messages per node, 40 nodes vs 10 (%.0f vs %.0f)", large, small).isLessThan(6.0);
  }

  private void form(int n) {
    net.filter((from, to, e) -> {
      sent.computeIfAbsent(e.message().getClass().getSimpleName(), k -> new LongAdder()).increment();
      if (e.message() instanceof Hello h) {
        helloEntries.add(h.peers().size());
      }
      return true;
    });
    String prefix = "f" + n + "-";
    List<String> seeds = List.of(prefix + 0, prefix + 1, prefix + 2);
    List<ChatNode> formed = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ChatNode node =
          ChatNode.builder().nodeId(prefix + i).transport(net.transport(prefix + i)).clock(clock).seeds(seeds).build().start();
      nodes.add(node);
      formed.add(node);
    }
    await("all " + n + " nodes see each other")
        .atMost(Duration.ofSeconds(40))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> formed.stream().allMatch(x -> x.liveNodes().size() == n - 1) && net.inFlightCount() == 0);
  }

  private Map<String, Long> counts() {
    Map<String, Long> out = new TreeMap<>();
    sent.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  private long total() {
    return counts().values().stream().mapToLong(Long::longValue).sum();
  }
}
