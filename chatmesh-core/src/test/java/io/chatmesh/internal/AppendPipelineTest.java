package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.UserId;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.Sequenced;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class AppendPipelineTest {
  private static final NodeId MEMBER = NodeId.of("n2");

  /** Each store call, with the entries it was given; completed by the test (or at once when {@link #instant}). */
  private final List<List<Long>> appends = new ArrayList<>();
  private final List<CompletableFuture<Void>> futures = new ArrayList<>();
  private final List<Long> released = new ArrayList<>();
  private final List<Reply> replies = new ArrayList<>();
  private final ArrayDeque<Runnable> later = new ArrayDeque<>();
  private final List<Duration> delays = new ArrayList<>();
  private final NodeMetrics metrics = new NodeMetrics();
  private boolean instant;
  private boolean retrying = true;

  private final AppendPipeline pipeline = new AppendPipeline(new AppendPipeline.Room() {
    @Override
    public String name() {
      return "r";
    }

    @Override
    public NodeId self() {
      return NodeId.of("n1");
    }

    @Override
    public CompletableFuture<Void> store(List<Sequenced> entries) {
      appends.add(entries.stream().map(Sequenced::seq).toList());
      CompletableFuture<Void> f = instant ? CompletableFuture.completedFuture(null) : new CompletableFuture<>();
      futures.add(f);
      return f;
    }

    @Override
    public void release(Sequenced e, Collection<NodeId> recipients, @Nullable NodeId extra) {
      released.add(e.seq());
    }

    @Override
    public boolean retrying() {
      return retrying;
    }

    @Override
    public void onLane(Runnable task) {
      task.run();
    }

    @Override
    public void later(Duration delay, Runnable task) {
      delays.add(delay);
      later.add(task);
    }
  }, metrics);

  private static Sequenced entry(long seq) {
    return new Sequenced("r", 1, seq, EventKind.MESSAGE, UserId.of("u"), "m", "c" + seq, 0);
  }

  private static Reply ok(long seq) {
    return new Reply(seq, null, "", 1, seq, false, List.of());
  }

  private void persist(long seq) {
    pipeline.persist(entry(seq), List.of(MEMBER), null, replies::add, ok(seq));
  }

  @Test
  void anAppendThatCompletesAtOnceIsReleasedAtOnce() {
    instant = true;
    persist(1);
    assertThat(released).containsExactly(1L);
    assertThat(replies).extracting(Reply::seq).containsExactly(1L);
    assertThat(pipeline.released()).isEqualTo(1);
    assertThat(metrics.historyBacklog.sum()).isZero();
  }

  @Test
  void releasesStrictlyInSeqOrderWhateverOrderTheStoreCompletesIn() {
    persist(1);
    persist(2);
    persist(3);
    assertThat(pipeline.last()).isEqualTo(3);
    assertThat(metrics.historyBacklog.sum()).isEqualTo(3);
    futures.get(2).complete(null);
    futures.get(1).complete(null);
    assertThat(released).isEmpty();
    futures.get(0).complete(null);
    assertThat(released).containsExactly(1L, 2L, 3L);
    assertThat(replies).extracting(Reply::seq).containsExactly(1L, 2L, 3L);
    assertThat(metrics.historyBacklog.sum()).isZero();
  }

  @Test
  void aFailedAppendKeepsItsPlaceRefusesWritesAndIsRetriedUntilTheStoreTakesIt() {
    persist(1);
    persist(2);
    futures.get(0).completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE, "down"));
    assertThat(replies).singleElement().satisfies(r -> {
      assertThat(r.requestId()).isEqualTo(1);
      assertThat(r.error()).isEqualTo(ErrorCode.UNAVAILABLE);
    });
    assertThat(pipeline.refusal(9)).isNotNull().extracting(Reply::error).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(metrics.roomsStoreFailing.sum()).isEqualTo(1);
    futures.get(1).complete(null);
    assertThat(released).as("seq 2 waits behind the failed seq 1").isEmpty();

    // the client retries seq 1 with the same id: answered once it is durable
    List<Reply> retry = new ArrayList<>();
    pipeline.whenDurable(1, retry::add, ok(1));
    later.poll().run();
    assertThat(appends.get(2)).containsExactly(1L);
    futures.get(2).complete(null);
    assertThat(released).containsExactly(1L, 2L);
    assertThat(retry).extracting(Reply::error).containsOnlyNulls();
    assertThat(retry).hasSize(1);
    assertThat(pipeline.refusal(9)).isNull();
    assertThat(metrics.roomsStoreFailing.sum()).isZero();
    assertThat(delays).containsExactly(Duration.ofMillis(50));
  }

  @Test
  void backsOffWhileTheStoreKeepsFailing() {
    persist(1);
    futures.get(0).completeExceptionally(new RuntimeException("down"));
    for (int i = 0; i < 8; i++) {
      later.poll().run();
      futures.get(futures.size() - 1).completeExceptionally(new RuntimeException("down"));
    }
    assertThat(delays).extracting(Duration::toMillis).containsExactly(50L, 100L, 200L, 400L, 800L, 1600L, 2000L, 2000L, 2000L);
    retrying = false;
    later.poll().run();
    assertThat(later).as("no more retries once the room stops").isEmpty();
  }

  @Test
  void aStoreRefusingTheEpochFencesTheRoom() {
    persist(1);
    persist(2);
    futures.get(0).completeExceptionally(new ChatException(ErrorCode.NOT_ADMIN, "epoch 2 owns it"));
    assertThat(pipeline.fenced()).contains("fenced").contains("epoch 2 owns it");
    assertThat(replies).extracting(Reply::error).containsExactly(ErrorCode.UNAVAILABLE, ErrorCode.UNAVAILABLE);
    assertThat(pipeline.refusal(3)).extracting(Reply::error).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(metrics.historyBacklog.sum()).isZero();
    assertThat(released).isEmpty();
  }

  @Test
  void whenDurableAnswersAtOnceForReleasedAndRefusesUnknownSeqs() {
    instant = true;
    persist(1);
    List<Reply> got = new ArrayList<>();
    pipeline.whenDurable(1, got::add, ok(1));
    pipeline.whenDurable(5, got::add, ok(5));
    assertThat(got).extracting(Reply::error).containsExactly(null, ErrorCode.UNAVAILABLE);
  }

  @Test
  void firstAppendsWaitForTheStoreWritesBeforeTheCreation() {
    CompletableFuture<Void> earlier = new CompletableFuture<>();
    pipeline.appendAfter(earlier);
    instant = true;
    persist(1);
    assertThat(appends).as("not appended before the earlier writes are done").isEmpty();
    earlier.complete(null);
    assertThat(appends).containsExactly(List.of(1L));
    assertThat(released).containsExactly(1L);
  }

  @Test
  void failAllAnswersEveryWaitingRequest() {
    persist(1);
    pipeline.failAll(ErrorCode.UNKNOWN_ROOM, "lost a split brain");
    assertThat(replies).extracting(Reply::error).containsExactly(ErrorCode.UNKNOWN_ROOM);
    futures.get(0).complete(null);
    assertThat(released).isEmpty();
  }
}
