/**
 * The node-to-node protocol as Java values: every message a node sends to another is one of the
 * records permitted by {@link io.chatmesh.wire.WireMessage}. Transports carry them; the gRPC
 * transport maps each one to its protobuf twin in {@code proto/chatmesh/v1}. Changing a record here
 * is a wire-protocol change: bump {@link io.chatmesh.wire.WireMessage#PROTOCOL_VERSION} when it is
 * not backward compatible.
 *
 * <p>These types are SPI for transport implementors, not API for applications.
 */
@NullMarked
package io.chatmesh.wire;

import org.jspecify.annotations.NullMarked;
