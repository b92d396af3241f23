/**
 * The node-to-node protocol as Java values: every message a node sends to another is one of the
 * records permitted by {@link io.chatmesh.wire.WireMessage}. Transports carry them; the gRPC
 * transport maps each one to its protobuf twin in {@code proto/chatmesh/v1}. Changing a record here
 * is a wire-protocol change: follow the evolution rules of {@code proto/README.md} (add, never
 * renumber or reuse; bump {@link io.chatmesh.wire.WireMessage#PROTOCOL_VERSION} when both ends must
 * know about a change).
 *
 * <p>These types are SPI for transport implementors, not API for applications.
 */
@NullMarked
package io.chatmesh.wire;

import org.jspecify.annotations.NullMarked;
