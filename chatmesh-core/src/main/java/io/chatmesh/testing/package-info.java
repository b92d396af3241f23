/**
 * Test support shipped in core's main code so applications can unit-test their own code against a
 * whole cluster in one JVM: {@link io.chatmesh.testing.InMemoryCluster}.
 */
@NullMarked
package io.chatmesh.testing;

import org.jspecify.annotations.NullMarked;
