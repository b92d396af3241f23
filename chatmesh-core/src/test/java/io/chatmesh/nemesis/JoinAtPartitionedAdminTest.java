package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.Joined;
import io.chatmesh.Room;
import io.chatmesh.UserId;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Known violation F4's cause step by step (see KNOWN_VIOLATIONS.md, "Failover"): a join through the
 * admin node itself, sequenced while the admin is cut from its replicas (it keeps its lease, so no
 * one takes over), waits in the admin's pipeline for replica acknowledgements; the admin then
 * deletes the room (the two-phase commit needs only the nodes it sees). The join - and a leave
 * asked meanwhile, which waits for the join's answer - must end with a clear error, not stay
 * pending forever (seeds 32, 117, 214, 686 of the REPLICATED long run: NEVER_COMPLETED).
 */
class JoinAtPartitionedAdminTest {
  @RegisterExtension
  final SteppedFailover sf = new SteppedFailover(17);
  private final SteppedCluster stepped = sf.stepped;

  @Test
  void aJoinWaitingForReplicasEndsWhenItsAdminDeletesTheRoom() {
    Room r = sf.startWithRoom("n1", "general");
    // the admin is cut from both replicas but keeps its lease: the room stays with it
    sf.isolateKeepingLease("n1");

    UserId alice = UserId.of("alice");
    CompletableFuture<Joined> join = r.join(alice, e -> { });
    CompletableFuture<Void> leave = r.leave(alice);
    stepped.settle(() -> false, 200);
    sf.join(r.delete());

    stepped.settle(() -> join.isDone() && leave.isDone(), 5_000);
    assertThat(join).as("the join through the admin of the deleted room").isDone();
    assertThat(leave).as("the leave asked while the join was pending").isDone();
    assertThat(code(join)).isEqualTo(ErrorCode.UNKNOWN_ROOM);
    assertThat(code(leave)).isEqualTo(ErrorCode.UNKNOWN_ROOM);
  }

  @Test
  void aJoinThroughTheAdminIsBoundedByTheRequestTimeoutWhileItsReplicasAreCutOff() {
    Room r = sf.startWithRoom("n1", "general");
    stepped.network.injector().partition(Set.of("n1"), Set.of("n2", "n3"));

    // a join through a member node would time out after the request timeout (its wait is remote);
    // the admin's own wait for its replicas is remote too
    UserId alice = UserId.of("alice");
    CompletableFuture<Joined> join = r.join(alice, e -> { });
    stepped.settle(join::isDone, 2 * Nemesis.REQUEST_TIMEOUT.toMillis());
    assertThat(join).as("the join through the admin, cut from its replicas").isDone();
    assertThat(code(join)).isEqualTo(ErrorCode.TIMEOUT);

    // the outcome was unknown: once the replicas are back, a retry is answered at the join's place
    stepped.network.heal();
    Joined again = sf.join(r.join(alice, e -> { }));
    assertThat(again.seq()).as("the retried join").isPositive();
    assertThat(sf.join(r.send(alice, "after", "c1")).seq()).isGreaterThan(again.seq());
  }

  @Test
  void aSendThroughTheAdminIsBoundedByTheRequestTimeoutWhileItsReplicasAreCutOff() {
    Room r = sf.startWithRoom("n1", "general");
    UserId alice = UserId.of("alice");
    sf.join(r.join(alice, e -> { }));
    stepped.network.injector().partition(Set.of("n1"), Set.of("n2", "n3"));

    CompletableFuture<io.chatmesh.Sent> send = r.send(alice, "cut", "c1");
    stepped.settle(send::isDone, 2 * Nemesis.REQUEST_TIMEOUT.toMillis());
    assertThat(send).as("the send through the admin, cut from its replicas").isDone();
    assertThat(code(send)).isEqualTo(ErrorCode.TIMEOUT);

    // the outcome was unknown: once the replicas are back, a retry with the same id gets one place
    stepped.network.heal();
    io.chatmesh.Sent again = sf.join(r.send(alice, "cut", "c1"));
    io.chatmesh.Sent next = sf.join(r.send(alice, "after", "c2"));
    assertThat(next.seq()).isEqualTo(again.seq() + 1);
  }

  private static ErrorCode code(CompletableFuture<?> f) {
    try {
      f.join();
      return null;
    } catch (CompletionException e) {
      return ((ChatException) e.getCause()).code();
    }
  }
}
