/**
 * Runnable examples: {@link io.chatmesh.examples.Demo} (a 3-node cluster over gRPC with WebSocket
 * gateways, or one node per process) and {@link io.chatmesh.examples.ChatCli} (a terminal client).
 */
@NullMarked
package io.chatmesh.examples;

import org.jspecify.annotations.NullMarked;
