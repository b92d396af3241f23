package io.chatmesh.internal;

import io.chatmesh.ChatNode;
import io.chatmesh.spi.engine.EngineProvider;
import io.chatmesh.spi.engine.NodeConfig;

/**
 * The engine provider registered by chatmesh-core (public only because {@link
 * java.util.ServiceLoader} needs it). Stateless; thread-safe.
 */
public final class CoreEngineProvider implements EngineProvider {

  /** Called by {@link java.util.ServiceLoader}. */
  public CoreEngineProvider() {}

  @Override
  public ChatNode create(NodeConfig c) {
    return NodeEngine.create(
        new NodeSettings(
            c.nodeId(),
            c.transport(),
            c.seeds(),
            c.clock(),
            c.heartbeatInterval(),
            c.failureTimeout(),
            c.requestTimeout(),
            c.prepareTimeout(),
            c.maxTextLength(),
            c.resendBufferSize(),
            c.dedupWindow(),
            c.history(),
            c.sequencers(),
            c.failureDetectors()));
  }
}
