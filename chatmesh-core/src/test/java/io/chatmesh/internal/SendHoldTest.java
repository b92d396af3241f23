package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.UserId;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.SendRequest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class SendHoldTest {
  private static final NodeId SELF = NodeId.of("admin");
  private static final NodeId OTHER = NodeId.of("member");

  private final List<String> sequenced = new ArrayList<>();
  private final List<Reply> replies = new ArrayList<>();
  private final ArrayDeque<Runnable> later = new ArrayDeque<>();
  private final LongAdder heldCount = new LongAdder();
  private boolean congested;
  private @Nullable ErrorCode stopped;

  private final SendHold hold =
      new SendHold("r", SELF, 3, heldCount, new SendHold.Host() {
        @Override
        public boolean congested() {
          return congested;
        }

        @Override
        public void sendNow(NodeId from, SendRequest r, Consumer<Reply> reply) {
          sequenced.add(r.text());
          reply.accept(new Reply(r.requestId(), null, "", 1, sequenced.size(), false, List.of()));
        }

        @Override
        public @Nullable Reply refusal(long requestId) {
          return stopped == null ? null : Reply.error(requestId, stopped, "stopped");
        }

        @Override
        public void later(Runnable task) {
          later.add(task);
        }
      });

  private static SendRequest req(long id, String text) {
    return new SendRequest(id, "r", UserId.of("u"), "c" + id, text);
  }

  @Test
  void sequencesAtOnceWhileNoLinkIsCongested() {
    hold.submit(OTHER, req(1, "a"), replies::add);
    assertThat(sequenced).containsExactly("a");
    assertThat(replies).hasSize(1);
    assertThat(later).isEmpty();
    assertThat(heldCount.sum()).isZero();
  }

  @Test
  void holdsInArrivalOrderWhileCongestedAndReleasesWhenTheLinksDrain() {
    congested = true;
    hold.submit(OTHER, req(1, "a"), replies::add);
    hold.submit(SELF, req(0, "b"), replies::add);
    assertThat(sequenced).isEmpty();
    assertThat(hold.size()).isEqualTo(2);
    assertThat(later).hasSize(1);
    later.poll().run();
    assertThat(sequenced).as("still congested").isEmpty();
    congested = false;
    hold.submit(OTHER, req(2, "c"), replies::add);
    assertThat(sequenced).as("a send does not overtake held ones").isEmpty();
    assertThat(hold.size()).isEqualTo(3);
    later.poll().run();
    assertThat(sequenced).containsExactly("a", "b", "c");
    assertThat(replies).hasSize(3);
    assertThat(later).isEmpty();
    assertThat(heldCount.sum()).isEqualTo(3);
  }

  @Test
  void refusesPastItsLimitAndDoesNotHoldARetryTwice() {
    congested = true;
    hold.submit(OTHER, req(1, "a"), replies::add);
    hold.submit(OTHER, req(1, "a"), replies::add); // the forwarder's retry
    assertThat(hold.size()).isEqualTo(1);
    assertThat(replies).isEmpty();
    hold.submit(OTHER, req(2, "b"), replies::add);
    hold.submit(SELF, req(0, "c"), replies::add);
    hold.submit(OTHER, req(3, "d"), replies::add);
    assertThat(replies).singleElement().satisfies(r -> {
      assertThat(r.requestId()).isEqualTo(3);
      assertThat(r.error()).isEqualTo(ErrorCode.UNAVAILABLE);
    });
    congested = false;
    later.poll().run();
    assertThat(sequenced).containsExactly("a", "b", "c");
    hold.submit(OTHER, req(3, "d"), replies::add);
    assertThat(sequenced).as("the refused one may be retried").containsExactly("a", "b", "c", "d");
  }

  @Test
  void failsHeldSendsWhenTheRoomStopsSequencing() {
    congested = true;
    hold.submit(OTHER, req(1, "a"), replies::add);
    stopped = ErrorCode.NOT_ADMIN;
    later.poll().run();
    assertThat(sequenced).isEmpty();
    assertThat(hold.isEmpty()).isTrue();
    assertThat(replies).singleElement().extracting(Reply::error).isEqualTo(ErrorCode.NOT_ADMIN);
  }

  @Test
  void failAllAnswersEveryHeldSend() {
    congested = true;
    hold.submit(OTHER, req(1, "a"), replies::add);
    hold.submit(SELF, req(0, "b"), replies::add);
    hold.failAll(id -> Reply.error(id, ErrorCode.UNKNOWN_ROOM, "gone"));
    assertThat(replies).extracting(Reply::error).containsExactly(ErrorCode.UNKNOWN_ROOM, ErrorCode.UNKNOWN_ROOM);
    assertThat(hold.isEmpty()).isTrue();
    hold.submit(OTHER, req(1, "a"), replies::add);
    assertThat(hold.size()).as("the key of a failed send is forgotten").isEqualTo(1);
  }
}
