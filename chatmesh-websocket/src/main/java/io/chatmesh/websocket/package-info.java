/**
 * WebSocket gateway for people: {@link io.chatmesh.websocket.WebSocketGateway} serves the JSON
 * protocol described in {@code chatmesh-websocket/PROTOCOL.md} at {@code /ws} and a web chat page
 * at {@code /}, in front of a {@link io.chatmesh.ChatNode} embedded in the same application.
 */
@NullMarked
package io.chatmesh.websocket;

import org.jspecify.annotations.NullMarked;
