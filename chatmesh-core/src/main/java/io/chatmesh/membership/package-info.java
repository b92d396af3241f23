/**
 * Cluster membership: the {@link io.chatmesh.membership.FailureDetector} that turns heartbeats
 * (and any other traffic) into "alive"/"dead" verdicts about peers.
 */
@NullMarked
package io.chatmesh.membership;

import org.jspecify.annotations.NullMarked;
