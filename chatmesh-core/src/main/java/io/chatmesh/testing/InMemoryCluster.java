package io.chatmesh.testing;

import io.chatmesh.ChatException;
import io.chatmesh.ChatNode;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.time.ChatClock;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * N chat nodes in one JVM, for tests: by default over an {@link InMemoryNetwork} (so faults can be
 * injected through {@link #network()}), or over any transport via {@link
 * Builder#transports(Function, Consumer)}. Nodes are named {@code n1..nN}; every node after the
 * first uses the first as its seed.
 *
 * <pre>{@code
 * try (InMemoryCluster cluster = InMemoryCluster.builder().nodes(3).build().start()) {
 *   await().until(cluster::connected);   // Awaitility, or any polling: every node sees every other
 *   Room room = cluster.node("n1").createRoom("general").join();
 *   ...
 *   cluster.crash("n2");      // abrupt: no goodbye
 *   cluster.restart("n2");    // a new node with the same id and address
 * }
 * }</pre>
 *
 * <p>Thread-safe for the calls a test makes from one thread; nodes themselves are thread-safe.
 */
public final class InMemoryCluster implements AutoCloseable {
  private final Builder config;
  private final @Nullable InMemoryNetwork network;
  private final Function<String, Transport> transports;
  private final Consumer<String> crasher;
  private final Map<String, ChatNode> nodes = new LinkedHashMap<>();
  private final Set<String> crashed = new TreeSet<>();

  private InMemoryCluster(Builder b) {
    this.config = b;
    if (b.transports == null) {
      InMemoryNetwork net = new InMemoryNetwork(b.seed);
      this.network = net;
      this.transports = net::transport;
      this.crasher = net::crash;
    } else {
      this.network = null;
      this.transports = b.transports;
      this.crasher = b.crasher == null ? name -> {} : b.crasher;
    }
  }

  /**
   * A builder: 3 nodes, system clock, in-memory network.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts every node (the first one first, so the others can use it as seed).
   *
   * @return this cluster
   */
  public InMemoryCluster start() {
    for (int i = 1; i <= config.size; i++) {
      startNode("n" + i);
    }
    return this;
  }

  /**
   * Starts one more node named {@code name} (e.g. {@code n4}), seeded with the running nodes.
   *
   * @param name the new node's id
   * @return the started node
   */
  public ChatNode addNode(String name) {
    if (nodes.containsKey(name) && !crashed.contains(name)) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "node " + name + " is already running");
    }
    return startNode(name);
  }

  private ChatNode startNode(String name) {
    List<String> seeds = new ArrayList<>();
    for (Map.Entry<String, ChatNode> e : nodes.entrySet()) {
      if (!crashed.contains(e.getKey()) && !e.getKey().equals(name)) {
        seeds.add(e.getValue().address());
      }
    }
    ChatNode.Builder b = ChatNode.builder().nodeId(name).transport(transports.apply(name)).clock(config.clock).seeds(seeds);
    config.customizer.accept(b);
    config.nodeCustomizer.accept(name, b);
    ChatNode node = b.build().start();
    nodes.put(name, node);
    crashed.remove(name);
    return node;
  }

  /**
   * The running node named {@code name}.
   *
   * @param name the node's id
   * @return the node
   */
  public ChatNode node(String name) {
    ChatNode n = nodes.get(name);
    if (n == null) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "no node named " + name + " in this cluster");
    }
    return n;
  }

  /**
   * All nodes that are not crashed, in start order.
   *
   * @return the running nodes
   */
  public List<ChatNode> nodes() {
    List<ChatNode> out = new ArrayList<>();
    nodes.forEach((k, v) -> {
      if (!crashed.contains(k)) {
        out.add(v);
      }
    });
    return out;
  }

  /**
   * The in-memory network, or null when the cluster runs over another transport.
   *
   * @return the network, or null
   */
  public @Nullable InMemoryNetwork network() {
    return network;
  }

  /**
   * True when every running node sees every other running node alive and is {@link
   * ChatNode#isReady() ready} (so any of them may create rooms).
   *
   * @return whether the running nodes form one cluster
   */
  public boolean connected() {
    List<ChatNode> running = nodes();
    for (ChatNode n : running) {
      if (!n.isReady()) {
        return false;
      }
      Set<NodeId> expected = new TreeSet<>();
      running.forEach(o -> {
        if (o != n) {
          expected.add(o.id());
        }
      });
      if (!n.liveNodes().containsAll(expected)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Kills a node abruptly (its transport stops in both directions, no goodbye). The node object is
   * closed later by {@link #restart} or {@link #close}.
   *
   * @param name the node's id
   */
  public void crash(String name) {
    node(name);
    crasher.accept(name);
    crashed.add(name);
  }

  /**
   * Replaces a (crashed or running) node by a fresh one with the same id and address.
   *
   * @param name the node's id
   * @return the new, started node
   */
  public ChatNode restart(String name) {
    ChatNode old = node(name);
    if (!crashed.contains(name)) {
      crash(name);
    }
    old.close();
    return startNode(name);
  }

  /** Closes every node and the network. */
  @Override
  public void close() {
    for (ChatNode n : nodes.values()) {
      n.close();
    }
    if (network != null) {
      network.close();
    }
  }

  /**
   * Configures an {@link InMemoryCluster}. Not thread-safe. Invalid values fail with {@link
   * ChatException} {@link ErrorCode#BAD_REQUEST} naming the setting.
   */
  public static final class Builder {
    private int size = 3;
    private ChatClock clock = ChatClock.system();
    private long seed = System.nanoTime();
    private Consumer<ChatNode.Builder> customizer = b -> {};
    private java.util.function.BiConsumer<String, ChatNode.Builder> nodeCustomizer = (n, b) -> {};
    private @Nullable Function<String, Transport> transports;
    private @Nullable Consumer<String> crasher;

    Builder() {}

    /**
     * Number of nodes started by {@link InMemoryCluster#start()}. Default 3.
     *
     * @param count how many nodes, at least 1
     * @return this builder
     */
    public Builder nodes(int count) {
      if (count < 1) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "a cluster needs at least one node, not " + count);
      }
      this.size = count;
      return this;
    }

    /**
     * The clock shared by every node (e.g. a {@link io.chatmesh.time.ManualClock}).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(ChatClock clock) {
      this.clock = require(clock, "clock");
      return this;
    }

    /**
     * Seed for the in-memory network's random faults.
     *
     * @param seed the random seed
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Applied to every node's builder before it is built (timeouts, limits).
     *
     * @param customizer changes a node's builder
     * @return this builder
     */
    public Builder configure(Consumer<ChatNode.Builder> customizer) {
      this.customizer = require(customizer, "configure");
      return this;
    }

    /**
     * Applied to each node's builder (after {@link #configure}) with the node's name, also on
     * {@link InMemoryCluster#restart}; e.g. to give one node a file-backed history store.
     *
     * @param customizer changes the builder of the named node
     * @return this builder
     */
    public Builder configureNode(java.util.function.BiConsumer<String, ChatNode.Builder> customizer) {
      this.nodeCustomizer = require(customizer, "configureNode");
      return this;
    }

    /**
     * Uses another transport: {@code factory} makes a transport for a node name (the same name
     * must map to the same address for restarts), {@code crash} kills a node's transport abruptly.
     *
     * @param factory makes a node's transport from its name
     * @param crash kills the transport of the named node
     * @return this builder
     */
    public Builder transports(Function<String, Transport> factory, Consumer<String> crash) {
      this.transports = require(factory, "transports factory");
      this.crasher = require(crash, "transports crash");
      return this;
    }

    /**
     * Builds the (unstarted) cluster.
     *
     * @return a cluster whose nodes are not started yet
     */
    public InMemoryCluster build() {
      return new InMemoryCluster(this);
    }

    private static <T> T require(@Nullable T value, String what) {
      if (value == null) {
        throw new ChatException(ErrorCode.BAD_REQUEST, what + " must not be null");
      }
      return value;
    }
  }
}
