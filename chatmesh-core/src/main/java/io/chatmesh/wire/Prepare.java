package io.chatmesh.wire;

/**
 * Phase one of a two-phase commit: the coordinator asks a participant to vote.
 *
 * @param txId unique transaction id (coordinator node id + counter)
 * @param kind what the transaction does
 * @param room the room (name) it concerns
 */
public record Prepare(String txId, TxKind kind, String room) implements WireMessage {}
