/** Filled by its issue. */
@NullMarked
package io.chatmesh.websocket;

import org.jspecify.annotations.NullMarked;
