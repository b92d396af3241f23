/** Filled by its issue. */
@NullMarked
package io.chatmesh.examples;

import org.jspecify.annotations.NullMarked;
