package io.chatmesh.internal;

import io.chatmesh.NodeId;
import io.chatmesh.membership.FailureDetector;
import io.chatmesh.sequencer.Sequencer;
import io.chatmesh.spi.history.HistoryStore;
import io.chatmesh.spi.transport.Transport;
import io.chatmesh.time.ChatClock;
import java.time.Duration;
import java.util.List;

/**
 * Validated configuration handed from {@link io.chatmesh.ChatNode.Builder} (through {@link
 * CoreEngineProvider}) to the engine. Internal;
 * immutable. The node owns {@code history} and closes it.
 */
public record NodeSettings(
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
    FailureDetector.Factory failureDetectors) {}
