/**
 * How {@link io.chatmesh.ChatNode.Builder} finds the engine without the public API depending on
 * it: chatmesh-core registers one {@link io.chatmesh.spi.engine.EngineProvider} through {@link
 * java.util.ServiceLoader}. Applications do not implement or call this; they use {@link
 * io.chatmesh.ChatNode#builder()}.
 */
@NullMarked
package io.chatmesh.spi.engine;

import org.jspecify.annotations.NullMarked;
