/**
 * The chatmesh {@link io.chatmesh.spi.transport.Transport} over gRPC ({@code grpc-netty-shaded}):
 * {@link io.chatmesh.transport.grpc.GrpcTransport}, found by {@link java.util.ServiceLoader} under
 * the name {@code grpc} through {@link io.chatmesh.transport.grpc.GrpcTransportProvider}. The wire
 * schema is in the {@code chatmesh-proto} module ({@code chatmesh/v1/*.proto}).
 */
@NullMarked
package io.chatmesh.transport.grpc;

import org.jspecify.annotations.NullMarked;
