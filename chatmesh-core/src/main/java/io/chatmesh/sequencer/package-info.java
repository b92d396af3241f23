/**
 * Ordering on a room's administrator: the {@link io.chatmesh.sequencer.Sequencer} that assigns
 * {@code (epoch, seq)} and deduplicates client retries. Pluggable through {@code
 * ChatNode.Builder.sequencer(...)}; {@link io.chatmesh.sequencer.Sequencer#create} is the default.
 */
@NullMarked
package io.chatmesh.sequencer;

import org.jspecify.annotations.NullMarked;
