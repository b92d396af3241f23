/** Filled by its issue. */
@NullMarked
package io.chatmesh.transport.grpc;

import org.jspecify.annotations.NullMarked;
