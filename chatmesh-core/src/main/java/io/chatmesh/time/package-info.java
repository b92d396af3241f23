/**
 * Time as chatmesh sees it: every timeout and heartbeat reads a {@link io.chatmesh.time.ChatClock},
 * so tests drive time with a {@link io.chatmesh.time.ManualClock} instead of sleeping.
 */
@NullMarked
package io.chatmesh.time;

import org.jspecify.annotations.NullMarked;
