package io.chatmesh.wire;

/**
 * An in-doubt participant (voted READY, no decision yet) asks the coordinator again. The
 * coordinator answers with {@link Decision}; one that does not know the transaction answers
 * ROLLBACK (presumed abort).
 */
public record DecisionQuery(String txId) implements WireMessage {}
