package io.chatmesh.wire;

/** Phase two: the coordinator's decision, COMMIT ({@code commit}) or ROLLBACK. */
public record Decision(String txId, boolean commit) implements WireMessage {}
