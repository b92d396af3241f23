package io.chatmesh.wire;

import io.chatmesh.ErrorCode;
import org.jspecify.annotations.Nullable;

/**
 * A participant's answer to {@link Prepare}: READY, or ABORT with an error code and a reason.
 *
 * @param txId the transaction voted on
 * @param ready true for READY
 * @param error why the participant voted ABORT; null for READY (and from a peer that sent none)
 * @param reason human-readable detail; empty for READY
 */
public record Vote(String txId, boolean ready, @Nullable ErrorCode error, String reason) implements WireMessage {}
