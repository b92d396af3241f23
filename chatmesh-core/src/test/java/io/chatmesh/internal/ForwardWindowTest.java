package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.Sent;
import io.chatmesh.UserId;
import io.chatmesh.internal.ForwardWindow.Offer;
import io.chatmesh.internal.ForwardWindow.Send;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ForwardWindowTest {
  private final List<String> forwarded = new ArrayList<>();
  private final ArrayDeque<Runnable> later = new ArrayDeque<>();
  private boolean writable = true;
  private boolean usable = true;
  private int emptied;

  private final ForwardWindow window =
      new ForwardWindow(2, 3, new ForwardWindow.Outlet() {
        @Override
        public boolean linkWritable() {
          return writable;
        }

        @Override
        public boolean stillUsable(Send s) {
          if (!usable) {
            s.out().completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE, "gone"));
          }
          return usable;
        }

        @Override
        public void forward(Send s) {
          forwarded.add(s.text());
        }

        @Override
        public void later(Runnable task) {
          later.add(task);
        }

        @Override
        public void emptied() {
          emptied++;
        }
      });

  private static Send send(String text) {
    return new Send(UserId.of("u"), text, text, new CompletableFuture<Sent>(), 0);
  }

  private void answerOne() {
    window.answered();
    window.pump();
  }

  @Test
  void forwardsUpToTheWindowThenQueuesInOrderUntilAnswersComeBack() {
    assertThat(window.offer(send("a"))).isEqualTo(Offer.FORWARDED);
    assertThat(window.offer(send("b"))).isEqualTo(Offer.FORWARDED);
    assertThat(window.offer(send("c"))).isEqualTo(Offer.WAITING);
    assertThat(window.offer(send("d"))).isEqualTo(Offer.WAITING);
    assertThat(forwarded).containsExactly("a", "b");
    assertThat(later).as("waiting for answers, not for the link: no recheck").isEmpty();
    answerOne();
    assertThat(forwarded).containsExactly("a", "b", "c");
    answerOne();
    assertThat(forwarded).containsExactly("a", "b", "c", "d");
    assertThat(window.waiting()).isZero();
    assertThat(window.inFlight()).isEqualTo(2);
    assertThat(emptied).isEqualTo(1);
  }

  @Test
  void isFullPastItsWaitingLimit() {
    writable = false;
    for (String t : List.of("a", "b", "c")) {
      assertThat(window.offer(send(t))).isEqualTo(Offer.WAITING);
    }
    assertThat(window.offer(send("d"))).isEqualTo(Offer.FULL);
    assertThat(window.waiting()).isEqualTo(3);
  }

  @Test
  void aCongestedLinkHoldsSendsUntilARecheckFindsItWritable() {
    writable = false;
    window.offer(send("a"));
    window.offer(send("b"));
    assertThat(forwarded).isEmpty();
    assertThat(later).as("one recheck at a time").hasSize(1);
    later.poll().run();
    assertThat(forwarded).isEmpty();
    assertThat(later).as("still congested: checks again").hasSize(1);
    writable = true;
    later.poll().run();
    assertThat(forwarded).containsExactly("a", "b");
    assertThat(later).isEmpty();
  }

  @Test
  void aSendDoesNotOvertakeWaitingOnes() {
    writable = false;
    window.offer(send("a"));
    writable = true;
    assertThat(window.offer(send("b"))).isEqualTo(Offer.WAITING);
    window.pump();
    assertThat(forwarded).containsExactly("a", "b");
  }

  @Test
  void dropsWaitingSendsTheRoomNoLongerTakes() {
    writable = false;
    Send a = send("a");
    window.offer(a);
    usable = false;
    window.pump();
    assertThat(a.out()).isCompletedExceptionally();
    assertThat(window.waiting()).isZero();
    assertThat(forwarded).isEmpty();
  }

  @Test
  void failWaitingFailsOnlyTheSendsNotForwardedYet() {
    Send a = send("a");
    Send b = send("b");
    Send c = send("c");
    window.offer(a);
    window.offer(b);
    window.offer(c);
    ChatException closed = new ChatException(ErrorCode.UNAVAILABLE, "node closed");
    window.failWaiting(closed);
    assertThat(c.out()).isCompletedExceptionally();
    assertThat(a.out()).as("forwarded: failed with the node's pending requests, not here").isNotDone();
    assertThat(b.out()).isNotDone();
    assertThat(window.waiting()).isZero();
    answerOne();
    assertThat(forwarded).containsExactly("a", "b");
  }
}
