/**
 * Two-phase commit, used to delete rooms and to reserve room names cluster-wide.
 *
 * <p>The contract is {@link io.chatmesh.twopc.TwoPhaseCommit}; the engine's implementation maps it
 * to and from its wire messages, so this package does not depend on the wire format. An ABORT vote
 * carries an {@link io.chatmesh.ErrorCode} and a detail, which the caller gets back unchanged.
 *
 * <h2>The rules</h2>
 *
 * <p>Rules 1 to 4 are tested in the deletion and unique-name sections of the cluster suite ({@code
 * io.chatmesh.testkit.AbstractClusterTest}, run over the in-memory and the gRPC transport) and in
 * {@code NameReservationTest}.
 *
 * <ol>
 *   <li>The coordinator sends PREPARE to every participant and waits at most the prepare timeout.
 *       Every READY: it records COMMIT, then sends it. Any ABORT, or any vote missing at the
 *       timeout (presumed abort), or a participant declared dead: it records ROLLBACK and sends it.
 *       A room deletion with failover has one more step between the votes and the decision: the
 *       admin retires the room at the lease backend ({@code RoomLeases.retire}), which is then
 *       the deletion's commit point; if that fails, it records and sends ROLLBACK.
 *   <li>A participant votes ABORT when it cannot promise to commit (e.g. it has a message for the
 *       room in flight to the admin). After READY it holds the resource (new sends to the room
 *       fail with UNAVAILABLE) and never decides alone.
 *   <li>In doubt (READY sent, no decision): the participant asks the coordinator again (DECISION
 *       QUERY) every prepare timeout. The coordinator answers from its decision log; a coordinator
 *       that never heard of the transaction (e.g. restarted) answers ROLLBACK: presumed abort is
 *       safe because a COMMIT is always recorded before it is sent (recorded in memory: see the
 *       last rule for what a restart changes).
 *   <li>If the coordinator is declared dead while a participant is in doubt, the participant keeps
 *       the room unavailable (its admin is dead anyway, so nobody can use it) and asks again when
 *       the coordinator is back. No participant ever commits or rolls back on a guess.
 *   <li>The decision log is kept in memory only, so a restarted coordinator answers ROLLBACK about
 *       every transaction from before the restart. What that means for a room depends on the
 *       history store. With the in-memory default, the restarted coordinator has lost its rooms as
 *       well, so the room is gone everywhere. With a durable store, the restarted admin restores
 *       its rooms: a deletion that was not decided before the crash is rolled back and the room
 *       stays on every node (tested in chatmesh-history-jdbc's {@code H2EngineHistoryTest}). The
 *       window this leaves open: a coordinator that decided COMMIT and crashed after some
 *       participants received it, but before its own deletion reached the store, restores the
 *       room while those participants have already deleted it (not covered by a test).
 * </ol>
 */
@NullMarked
package io.chatmesh.twopc;

import org.jspecify.annotations.NullMarked;
