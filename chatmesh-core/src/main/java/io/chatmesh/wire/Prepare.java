package io.chatmesh.wire;

/**
 * Phase one of a two-phase commit: the coordinator asks a participant to vote.
 *
 * @param txId unique transaction id (coordinator node id + counter)
 * @param kind what the transaction does
 * @param room the room (name) it concerns
 * @param timeoutMillis how long the coordinator waits for votes (presumed abort after that); a
 *     participant still votes on a late prepare, the coordinator ignores that vote, and a
 *     participant that voted READY learns the ROLLBACK by asking (DECISION QUERY)
 */
public record Prepare(String txId, TxKind kind, String room, long timeoutMillis) implements WireMessage {}
