/**
 * What a node counts about itself, without any metrics library: {@link
 * io.chatmesh.metrics.NodeMetricsSnapshot} (read with {@link io.chatmesh.ChatNode#metrics()}) holds
 * counters and gauges; {@link io.chatmesh.metrics.MetricsObserver} (registered with {@link
 * io.chatmesh.ChatNode#addMetricsObserver}) receives latencies as they happen. The module {@code
 * chatmesh-micrometer} binds both to a Micrometer registry.
 */
@NullMarked
package io.chatmesh.metrics;

import org.jspecify.annotations.NullMarked;
