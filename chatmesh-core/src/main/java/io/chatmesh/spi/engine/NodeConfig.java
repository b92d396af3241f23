package io.chatmesh.spi.engine;

import io.chatmesh.ChatNode;
import io.chatmesh.Failover;
import io.chatmesh.NodeId;
import io.chatmesh.membership.FailureDetector;
import io.chatmesh.membership.SeedResolver;
import io.chatmesh.sequencer.Sequencer;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.time.ChatClock;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A node's settings as {@link ChatNode.Builder} validated them; see the builder's setters for the
 * meaning and default of each. Immutable (the seed list is copied); thread-safe. The node owns
 * {@code transport} and {@code history} and closes them.
 *
 * @param nodeId this node's id
 * @param transport the transport
 * @param seeds addresses to greet on start, and {@code dns:NAME:PORT} seeds
 * @param clock the clock for every timeout and timer
 * @param heartbeatInterval how often heartbeats are sent
 * @param failureTimeout silence after which a peer is declared dead
 * @param requestTimeout deadline of every request to another node
 * @param prepareTimeout how long a two-phase commit coordinator waits for votes
 * @param maxTextLength longest accepted text, in characters
 * @param resendBufferSize log entries per room kept to resend
 * @param dedupWindow client message ids per room remembered to deduplicate retries
 * @param history where administered rooms keep their logs
 * @param sequencers creates each administered room's sequencer
 * @param failureDetectors creates the node's failure detector
 * @param maxRooms rooms this node may administer at once
 * @param maxMembersPerRoom members an administered room may have
 * @param seedResolveInterval how often {@code dns:} seeds are resolved again
 * @param seedResolver resolves the names of {@code dns:} seeds
 * @param failover replication and failover of administered rooms, or null: a room dies with its admin
 */
public record NodeConfig(
    NodeId nodeId,
    Transport transport,
    List<String> seeds,
    ChatClock clock,
    Duration heartbeatInterval,
    Duration failureTimeout,
    Duration requestTimeout,
    Duration prepareTimeout,
    int maxTextLength,
    int resendBufferSize,
    int dedupWindow,
    HistoryStore history,
    Sequencer.Factory sequencers,
    FailureDetector.Factory failureDetectors,
    int maxRooms,
    int maxMembersPerRoom,
    Duration seedResolveInterval,
    SeedResolver seedResolver,
    @Nullable Failover failover) {

  /**
   * Copies the seed list.
   *
   * @param nodeId this node's id
   * @param transport the transport
   * @param seeds addresses to greet on start, and {@code dns:NAME:PORT} seeds
   * @param clock the clock for every timeout and timer
   * @param heartbeatInterval how often heartbeats are sent
   * @param failureTimeout silence after which a peer is declared dead
   * @param requestTimeout deadline of every request to another node
   * @param prepareTimeout how long a two-phase commit coordinator waits for votes
   * @param maxTextLength longest accepted text, in characters
   * @param resendBufferSize log entries per room kept to resend
   * @param dedupWindow client message ids per room remembered to deduplicate retries
   * @param history where administered rooms keep their logs
   * @param sequencers creates each administered room's sequencer
   * @param failureDetectors creates the node's failure detector
   * @param maxRooms rooms this node may administer at once
   * @param maxMembersPerRoom members an administered room may have
   * @param seedResolveInterval how often {@code dns:} seeds are resolved again
   * @param seedResolver resolves the names of {@code dns:} seeds
   * @param failover replication and failover of administered rooms, or null
   */
  public NodeConfig {
    seeds = List.copyOf(seeds);
  }
}
