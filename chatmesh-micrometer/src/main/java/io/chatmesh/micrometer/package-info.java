/**
 * Micrometer bindings for chatmesh: {@link io.chatmesh.micrometer.ChatNodeMetrics} for a node,
 * {@link io.chatmesh.micrometer.GrpcTransportMetrics} for the gRPC transport and {@link
 * io.chatmesh.micrometer.WebSocketGatewayMetrics} for the WebSocket gateway. Meter names and tags
 * are listed in this module's README.
 */
@NullMarked
package io.chatmesh.micrometer;

import org.jspecify.annotations.NullMarked;
