package io.chatmesh.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.Joined;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.UserId;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.wire.JoinRequest;
import io.chatmesh.wire.Reply;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Seed 3953 of the long run step by step (WRONG_ACK, see KNOWN_VIOLATIONS.md): a user leaves
 * through a member node while its join through that node is still unanswered (the admin sequenced
 * the JOINED entry, its reply was lost). The leave overtook the join's resend at the admin, so the
 * resend joined the user again: the join was acked at a later seq that is not its own, and the
 * admin kept counting as a member a user who had left.
 */
class LeaveDuringJoinTest {
  private final SteppedCluster stepped = new SteppedCluster(2, 3953, (name, b) -> {});
  private final InMemoryCluster cluster = stepped.cluster;

  @AfterEach
  void close() {
    stepped.close();
  }

  @Test
  void aLeaveAskedBeforeTheJoinIsAnsweredIsNotUndoneByTheJoinsResend() {
    cluster.start();
    stepped.settle(cluster::connected);
    stepped.settle(cluster.node("n1").createRoom("r")::isDone);
    stepped.settle(() -> cluster.node("n2").room("r").isPresent());
    Room admin = cluster.node("n1").room("r").orElseThrow();
    Room member = cluster.node("n2").room("r").orElseThrow();
    List<RoomEvent> seen = new CopyOnWriteArrayList<>();
    stepped.settle(admin.join(UserId.of("watcher"), seen::add)::isDone);

    // the first JoinRequest of u1 reaches the admin; its reply and the join's resends are lost
    // while `holding`
    AtomicLong joinId = new AtomicLong();
    AtomicBoolean holding = new AtomicBoolean(true);
    stepped.network.filter((from, to, env) -> {
      if (!holding.get()) {
        return true;
      }
      if (env.message() instanceof JoinRequest j && from.equals("n2")) {
        return joinId.compareAndSet(0, j.requestId());
      }
      return !(env.message() instanceof Reply r && to.equals("n2") && r.requestId() == joinId.get());
    });
    CompletableFuture<Joined> join = member.join(UserId.of("u1"), e -> {});
    stepped.settle(() -> seen.stream().anyMatch(e -> e instanceof RoomEvent.MemberJoined j && j.user().value().equals("u1")), 200);
    long joinedAt = seen.stream().filter(e -> e instanceof RoomEvent.MemberJoined j && j.user().value().equals("u1"))
        .mapToLong(e -> ((RoomEvent.MemberJoined) e).seq()).findFirst().orElseThrow();
    assertThat(join).isNotDone();

    CompletableFuture<Void> leave = member.leave(UserId.of("u1"));
    stepped.settle(() -> false, 200);
    holding.set(false); // the join's next resend gets through
    stepped.settle(() -> join.isDone() && leave.isDone());
    stepped.settle(() -> false, 500);

    assertThat(join.join().seq()).as("the join is acked at its own JOINED entry").isEqualTo(joinedAt);
    assertThat(leave).isCompleted();
    CompletableFuture<io.chatmesh.RoomInfo> info = admin.info();
    stepped.settle(info::isDone);
    assertThat(info.join().members()).as("u1 left: the admin must not count it any more").doesNotContain(UserId.of("u1"));
  }
}
