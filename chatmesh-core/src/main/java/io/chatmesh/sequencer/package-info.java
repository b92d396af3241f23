/**
 * Ordering: the admin-side {@link io.chatmesh.sequencer.Sequencer} that assigns {@code (epoch,
 * seq)} and deduplicates client retries, and the member-side {@link
 * io.chatmesh.sequencer.InOrderDelivery} that releases entries strictly in sequence and detects gaps.
 */
@NullMarked
package io.chatmesh.sequencer;

import org.jspecify.annotations.NullMarked;
