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
  public ChatNode create(NodeConfig config) {
    return NodeEngine.create(config);
  }
}
