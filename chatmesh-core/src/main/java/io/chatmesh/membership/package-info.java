/**
 * Cluster membership: the {@link io.chatmesh.membership.FailureDetector} that turns heartbeats
 * (and any other traffic) into "alive"/"dead" verdicts about peers. Pluggable through {@code
 * ChatNode.Builder.failureDetector(...)}; {@link io.chatmesh.membership.FailureDetector#timeout} is
 * the default.
 */
@NullMarked
package io.chatmesh.membership;

import org.jspecify.annotations.NullMarked;
