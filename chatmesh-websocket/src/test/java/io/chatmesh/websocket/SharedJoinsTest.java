package io.chatmesh.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatMessage;
import io.chatmesh.JoinOptions;
import io.chatmesh.Joined;
import io.chatmesh.NodeId;
import io.chatmesh.Room;
import io.chatmesh.RoomEvent;
import io.chatmesh.RoomInfo;
import io.chatmesh.RoomListener;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A second connection of a user already in a room (another tab) resuming after the room failed
 * over: its resume is exact when the entry it names is in the room's log, whatever the epoch then.
 * The room's messages 1..10: 1..6 written at epoch 1, the room moved, 7..10 at epoch 2.
 */
class SharedJoinsTest {
  private static final UserId ALICE = UserId.of("alice");

  private final SharedJoins joins = new SharedJoins();
  private final StubRoom room = new StubRoom();
  private final Set<Long> notMessages = new java.util.HashSet<>(); // seqs that are member events, not messages

  @BeforeEach
  void firstConnectionJoinedBeforeTheMoveAndSawEverything() {
    List<RoomEvent> first = new ArrayList<>();
    assertThat(joins.join(room, ALICE, JoinOptions.none(), first::add)).isCompleted();
    for (long s = 4; s <= 10; s++) {
      room.listener.onEvent(message(s));
    }
    assertThat(first).hasSize(7);
  }

  private static ChatMessage message(long seq) {
    return new ChatMessage("r", seq <= 6 ? 1 : 2, seq, UserId.of("bob"), "m" + seq, null, 0);
  }

  private Joined attach(JoinOptions options, List<RoomEvent> got) {
    CompletableFuture<Joined> j = joins.join(room, ALICE, options, got::add);
    assertThat(j).isCompleted();
    return j.join();
  }

  private static List<Long> seqs(List<RoomEvent> events) {
    return events.stream().map(e -> ((ChatMessage) e).seq()).toList();
  }

  @Test
  void aResumeAtTheRoomsEpochNowIsExact() {
    List<RoomEvent> got = new ArrayList<>();
    Joined j = attach(JoinOptions.resume(2, 8), got);
    assertThat(seqs(got)).containsExactly(9L, 10L);
    assertThat(j.recovered()).isTrue();
    assertThat(j.epoch()).isEqualTo(2);
  }

  @Test
  void aResumeFromBeforeTheMoveWhoseMessageIsInTheLogIsExact() {
    List<RoomEvent> got = new ArrayList<>();
    Joined j = attach(JoinOptions.resume(1, 5), got);
    assertThat(seqs(got)).containsExactly(6L, 7L, 8L, 9L, 10L);
    assertThat(j.recovered()).isTrue();
  }

  @Test
  void aResumeNamingAnEntryOfAnotherEpochGetsNoHistoryAndIsNotRecovered() {
    List<RoomEvent> got = new ArrayList<>();
    Joined j = attach(JoinOptions.resume(1, 8), got); // 8 was written at epoch 2: another log
    assertThat(got).isEmpty();
    assertThat(j.recovered()).isFalse();
  }

  @Test
  void aResumeOfAnOlderEpochWhoseEntryCannotBeReadIsNotRecovered() {
    notMessages.add(5L);
    List<RoomEvent> got = new ArrayList<>();
    Joined j = attach(JoinOptions.resume(1, 5), got);
    assertThat(got).isEmpty();
    assertThat(j.recovered()).isFalse();
  }

  /** Room "r" now at epoch 2 (admin n2) with messages 1..10 stored. */
  private final class StubRoom implements Room {
    @Nullable RoomListener listener;

    @Override
    public String name() {
      return "r";
    }

    @Override
    public NodeId admin() {
      return NodeId.of("n2");
    }

    @Override
    public CompletableFuture<Joined> join(UserId user, RoomListener l, JoinOptions options) {
      listener = l;
      return CompletableFuture.completedFuture(new Joined("r", NodeId.of("n1"), 1, 3, List.of(user), true));
    }

    @Override
    public CompletableFuture<List<ChatMessage>> history(long beforeSeq, int limit) {
      List<ChatMessage> out = new ArrayList<>();
      for (long s = Math.min(beforeSeq - 1, 10); s >= 1 && out.size() < limit; s--) {
        if (!notMessages.contains(s)) {
          out.add(0, message(s));
        }
      }
      return CompletableFuture.completedFuture(out);
    }

    @Override
    public CompletableFuture<RoomInfo> info() {
      return CompletableFuture.completedFuture(new RoomInfo("r", NodeId.of("n2"), 2, 10, List.of(ALICE)));
    }

    @Override
    public CompletableFuture<Void> leave(UserId user) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<Sent> send(UserId user, String text) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<Sent> send(UserId user, String text, @Nullable String clientMessageId) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<Void> delete() {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<Void> delete(UserId by) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<Void> invite(UserId by, UserId user) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<Void> uninvite(UserId by, UserId user) {
      throw new UnsupportedOperationException();
    }
  }
}
