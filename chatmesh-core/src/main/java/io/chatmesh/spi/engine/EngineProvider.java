package io.chatmesh.spi.engine;

import io.chatmesh.ChatNode;

/**
 * Creates the node engine from a validated {@link NodeConfig}. chatmesh-core provides the only
 * implementation, registered in {@code META-INF/services/io.chatmesh.spi.engine.EngineProvider};
 * a shaded jar must keep that file. Implementations are stateless and thread-safe.
 */
public interface EngineProvider {

  /**
   * Creates an unstarted node.
   *
   * @param config the node's settings, already validated by {@link ChatNode.Builder}
   * @return the node; the caller starts it
   */
  ChatNode create(NodeConfig config);
}
