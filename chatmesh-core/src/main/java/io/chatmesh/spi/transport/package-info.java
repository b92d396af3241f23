/**
 * The transport SPI: how nodes send {@link io.chatmesh.spi.transport.Envelope envelopes} to each
 * other. A transport is a best-effort, per-link FIFO datagram service addressed by string
 * addresses; chatmesh's engine adds everything else (retries, ordering per room, failure
 * detection). Implementations: the in-memory transport in core
 * ({@link io.chatmesh.transport.inmemory.InMemoryNetwork}) and {@code chatmesh-transport-grpc},
 * found by name through {@link io.chatmesh.spi.transport.TransportProvider}.
 */
@NullMarked
package io.chatmesh.spi.transport;

import org.jspecify.annotations.NullMarked;
