/**
 * chatmesh public API: build and start a {@link io.chatmesh.ChatNode}, create and find
 * {@link io.chatmesh.Room rooms}, join users and receive their ordered {@link io.chatmesh.RoomEvent events}.
 *
 * <p>Everything in this package is null-marked: parameters and return values are non-null unless
 * annotated {@code @Nullable}. Passing {@code null} where it is not allowed fails with a
 * {@link io.chatmesh.ChatException} of code {@link io.chatmesh.ErrorCode#BAD_REQUEST}.
 */
@NullMarked
package io.chatmesh;

import org.jspecify.annotations.NullMarked;
