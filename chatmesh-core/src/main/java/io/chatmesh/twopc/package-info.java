/**
 * Two-phase commit, used to delete rooms and to reserve room names cluster-wide.
 *
 * <p>The contract is {@link io.chatmesh.twopc.TwoPhaseCommit}; the engine's implementation maps it
 * to and from its wire messages, so this package does not depend on the wire format. An ABORT vote
 * carries an {@link io.chatmesh.ErrorCode} and a detail, which the caller gets back unchanged.
 *
 * <h2>The rules (tested through the cluster suite's creation and deletion tests and {@code
 * NameReservationTest})</h2>
 *
 * <ol>
 *   <li>The coordinator sends PREPARE to every participant and waits at most the prepare timeout.
 *       Every READY: it records COMMIT, then sends it. Any ABORT, or any vote missing at the
 *       timeout (presumed abort), or a participant declared dead: it records ROLLBACK and sends it.
 *   <li>A participant votes ABORT when it cannot promise to commit (e.g. it has a message for the
 *       room in flight to the admin). After READY it holds the resource (new sends to the room
 *       fail with UNAVAILABLE) and never decides alone.
 *   <li>In doubt (READY sent, no decision): the participant asks the coordinator again (DECISION
 *       QUERY) every prepare timeout. The coordinator answers from its decision log; a coordinator
 *       that never heard of the transaction (e.g. restarted) answers ROLLBACK: presumed abort is
 *       safe because a COMMIT is always recorded before it is sent.
 *   <li>If the coordinator is declared dead while a participant is in doubt, the participant keeps
 *       the room unavailable (its admin is dead anyway, so nobody can use it) and asks again when
 *       the coordinator is back. A restarted coordinator lost its rooms, so the room is gone either
 *       way. No participant ever commits or rolls back on a guess, so there is never a mixed
 *       outcome among reachable nodes.
 * </ol>
 */
@NullMarked
package io.chatmesh.twopc;

import org.jspecify.annotations.NullMarked;
