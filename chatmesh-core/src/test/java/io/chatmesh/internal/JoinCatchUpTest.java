package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatMessage;
import io.chatmesh.ErrorCode;
import io.chatmesh.JoinOptions;
import io.chatmesh.Joined;
import io.chatmesh.NodeId;
import io.chatmesh.RoomEvent;
import io.chatmesh.UserId;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.HistoryReply;
import io.chatmesh.wire.HistoryRequest;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.Sequenced;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class JoinCatchUpTest {
  private static final UserId USER = UserId.of("joiner");
  private static final long EPOCH = 7;
  private static final long OLD_EPOCH = 5;

  private final List<RoomEvent> events = new ArrayList<>();
  private final Set<Long> missing = new HashSet<>();
  private final List<long[]> fetches = new ArrayList<>();
  private long stored = 0; // entries 1..stored exist on the admin
  private long failedOverAfter = 0; // entries 1..failedOverAfter carry OLD_EPOCH (written before a failover)
  private boolean failing;
  private boolean current = true;
  private long lost;

  private final JoinCatchUp.Room room = new JoinCatchUp.Room() {
    @Override
    public String name() {
      return "r";
    }

    @Override
    public NodeId self() {
      return NodeId.of("n2");
    }

    @Override
    public NodeId admin() {
      return NodeId.of("n1");
    }

    @Override
    public boolean current(UserId user, LocalSession session) {
      return current;
    }

    @Override
    public void fetch(long after, long before, int limit, BiConsumer<@Nullable HistoryReply, @Nullable Throwable> then) {
      fetches.add(new long[] {after, before, limit});
      if (failing) {
        then.accept(HistoryReply.error(1, ErrorCode.UNAVAILABLE, "store down"), null);
        return;
      }
      List<Sequenced> page = new ArrayList<>();
      for (long s = after + 1; s < before && s <= stored && page.size() < limit; s++) {
        if (!missing.contains(s)) {
          page.add(entry(s));
        }
      }
      then.accept(new HistoryReply(1, null, "", EPOCH, stored, 1, page), null);
    }

    @Override
    public void countLost(long n) {
      lost += n;
    }
  };

  private Sequenced entry(long seq) {
    return new Sequenced("r", seq <= failedOverAfter ? OLD_EPOCH : EPOCH, seq, EventKind.MESSAGE, UserId.of("u"), "m" + seq, null, 0);
  }

  private Joined catchUp(JoinOptions options, long join, long upTo, RoomEvent... live) {
    LocalSession local = new LocalSession(events::add, options);
    if (local.held != null) {
      local.held.addAll(List.of(live));
    }
    CompletableFuture<Joined> out = new CompletableFuture<>();
    new JoinCatchUp(room, USER, local, new Reply(1, null, "", EPOCH, join, false, List.of(USER)), out, upTo).start();
    assertThat(out).isDone();
    assertThat(local.held).as("nothing stays held").isNull();
    return out.join();
  }

  private List<Long> messageSeqs() {
    return events.stream().filter(e -> e instanceof ChatMessage).map(e -> ((ChatMessage) e).seq()).toList();
  }

  @Test
  void deliversTheHistoryUpToItsJoinThenTheHeldLiveEvents() {
    stored = 6;
    RoomEvent live = new RoomEvent.MemberJoined("r", EPOCH, 6, USER, 0);
    Joined j = catchUp(JoinOptions.since(2), 6, 6, live);
    assertThat(messageSeqs()).containsExactly(3L, 4L, 5L);
    assertThat(events).last().isEqualTo(live);
    assertThat(j.recovered()).isTrue();
    assertThat(j.seq()).isEqualTo(6);
    assertThat(j.epoch()).isEqualTo(EPOCH);
  }

  @Test
  void fetchesLongHistoriesInPages() {
    stored = 2_600;
    Joined j = catchUp(JoinOptions.since(0), 2_501, 2_501);
    assertThat(messageSeqs()).hasSize(2_500).startsWith(1L).endsWith(2_500L);
    assertThat(fetches).hasSize(3);
    assertThat(fetches.get(0)).containsExactly(0, 2_501, HistoryRequest.MAX_LIMIT);
    assertThat(fetches.get(2)).containsExactly(2_000, 2_501, 500);
    assertThat(j.recovered()).isTrue();
  }

  @Test
  void aGapInTheStoredHistoryIsToldAsLostAndNotRecovered() {
    stored = 6;
    missing.add(4L);
    Joined j = catchUp(JoinOptions.since(2), 6, 6);
    assertThat(messageSeqs()).containsExactly(3L, 5L);
    assertThat(events).contains(new RoomEvent.MessagesLost("r", EPOCH, 4, 4));
    assertThat(lost).isEqualTo(1);
    assertThat(j.recovered()).isFalse();
  }

  @Test
  void aFailedFetchLosesTheRestButStillDeliversTheLiveEvents() {
    stored = 6;
    failing = true;
    RoomEvent live = new RoomEvent.MemberJoined("r", EPOCH, 6, USER, 0);
    Joined j = catchUp(JoinOptions.last(3), 6, 6, live);
    assertThat(events).containsExactly(new RoomEvent.MessagesLost("r", EPOCH, 3, 5), live);
    assertThat(lost).isEqualTo(3);
    assertThat(j.recovered()).isFalse();
  }

  @Test
  void aResumeOfAnotherEpochWhoseEntryIsNotInTheLogDeliversNothingAndIsNotRecovered() {
    stored = 6;
    Joined j = catchUp(JoinOptions.resume(EPOCH - 1, 2), 6, 6);
    assertThat(events).isEmpty();
    assertThat(j.recovered()).isFalse();
  }

  @Test
  void aResumeAcrossAFailoverWhoseEntryIsInTheLogIsExact() {
    stored = 8;
    failedOverAfter = 4; // the room moved after seq 4: 5.. carry the new epoch
    Joined j = catchUp(JoinOptions.resume(OLD_EPOCH, 3), 8, 8);
    assertThat(messageSeqs()).containsExactly(4L, 5L, 6L, 7L);
    assertThat(events).noneMatch(e -> e instanceof RoomEvent.MessagesLost);
    assertThat(j.recovered()).isTrue();
    assertThat(j.epoch()).isEqualTo(EPOCH);
  }

  @Test
  void aResumeAtTheLastEntryBeforeTheFailoverIsExact() {
    stored = 8;
    failedOverAfter = 4;
    Joined j = catchUp(JoinOptions.resume(OLD_EPOCH, 4), 8, 8);
    assertThat(messageSeqs()).containsExactly(5L, 6L, 7L);
    assertThat(j.recovered()).isTrue();
  }

  @Test
  void aResumeWhoseEntryHasAnotherEpochInTheLogFetchesNoHistoryAndIsNotRecovered() {
    stored = 8;
    failedOverAfter = 4;
    // the client saw seq 6 at the old epoch, but the log's 6 was written at the new one: another log
    Joined j = catchUp(JoinOptions.resume(OLD_EPOCH, 6), 8, 8);
    assertThat(events).isEmpty();
    assertThat(j.recovered()).isFalse();
  }

  @Test
  void aResumeWhoseEntryIsNoLongerStoredIsNotRecovered() {
    stored = 8;
    failedOverAfter = 4;
    missing.add(3L);
    Joined j = catchUp(JoinOptions.resume(OLD_EPOCH, 3), 8, 8);
    assertThat(events).isEmpty();
    assertThat(j.recovered()).isFalse();
  }

  @Test
  void aResumeOfAnOlderEpochAtOrPastTheJoinSawAnotherLog() {
    stored = 8;
    failedOverAfter = 4;
    Joined j = catchUp(JoinOptions.resume(OLD_EPOCH, 8), 8, 8);
    assertThat(fetches).isEmpty();
    assertThat(events).isEmpty();
    assertThat(j.recovered()).isFalse();
  }

  @Test
  void aResumeOfANewerEpochThanTheRoomsFetchesNothing() {
    stored = 6;
    Joined j = catchUp(JoinOptions.resume(EPOCH + 1, 2), 6, 6);
    assertThat(fetches).isEmpty();
    assertThat(j.recovered()).isFalse();
  }

  @Test
  void aResumeAcrossAFailoverWhoseCheckFailsToFetchIsNotRecovered() {
    stored = 8;
    failedOverAfter = 4;
    failing = true;
    Joined j = catchUp(JoinOptions.resume(OLD_EPOCH, 3), 8, 8);
    assertThat(events).isEmpty();
    assertThat(j.recovered()).isFalse();
  }

  @Test
  void aLateJoinedMemberGetsItsEntriesUpToTheLivePositionFromHistory() {
    stored = 9;
    Joined j = catchUp(JoinOptions.none(), 6, 9);
    assertThat(messageSeqs()).containsExactly(6L, 7L, 8L);
    assertThat(j.seq()).isEqualTo(6);
    assertThat(j.recovered()).isTrue();
  }

  @Test
  void aSessionThatLeftMeanwhileGetsNothingMore() {
    stored = 6;
    current = false;
    CompletableFuture<Joined> out = new CompletableFuture<>();
    LocalSession local = new LocalSession(events::add, JoinOptions.since(2));
    new JoinCatchUp(room, USER, local, new Reply(1, null, "", EPOCH, 6, false, List.of(USER)), out, 6).start();
    assertThat(events).isEmpty();
    assertThat(out.join().recovered()).isFalse();
  }
}
