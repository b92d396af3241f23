package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.NodeId;
import io.chatmesh.UserId;
import io.chatmesh.time.ManualClock;
import io.chatmesh.wire.HistoryReply;
import io.chatmesh.wire.HistoryRequest;
import io.chatmesh.wire.JoinRequest;
import io.chatmesh.wire.Reply;
import io.chatmesh.wire.WireMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdminLinkTest {
  private static final NodeId ADMIN = NodeId.of("n1");

  private final PendingRequests requests = new PendingRequests(new ManualClock(), Duration.ofSeconds(5));
  private final List<WireMessage> sent = new ArrayList<>();
  private final List<String> order = new ArrayList<>();
  private final List<NodeId> sentTo = new ArrayList<>();
  private NodeId admin = ADMIN;
  private final AdminLink link = new AdminLink(requests, () -> admin, (to, m) -> {
    sentTo.add(to);
    sent.add(m);
  }, Runnable::run, () -> order.add("after"));

  @Test
  void eachRequestGoesToTheAdminOfTheMomentItIsSent() {
    link.forward(id -> new JoinRequest(id, "r", UserId.of("u")), (r, e) -> {});
    admin = NodeId.of("n2"); // a failover
    link.forward(id -> new JoinRequest(id, "r", UserId.of("v")), (r, e) -> {});
    assertThat(sentTo).containsExactly(ADMIN, NodeId.of("n2"));
  }

  @Test
  void countsARequestInFlightUntilItsAnswerRanThenCallsAfterAnswer() {
    List<Reply> got = new ArrayList<>();
    link.forward(id -> new JoinRequest(id, "r", UserId.of("u")), (r, e) -> {
      order.add("then");
      assertThat(link.inFlight()).as("no longer in flight inside the continuation").isZero();
      got.add(r);
    });
    assertThat(link.inFlight()).isEqualTo(1);
    JoinRequest req = (JoinRequest) sent.get(0);
    requests.onReply(new Reply(req.requestId(), null, "", 1, 4, false, List.of()));
    assertThat(got).singleElement().extracting(Reply::seq).isEqualTo(4L);
    assertThat(order).containsExactly("then", "after");
  }

  @Test
  void aHistoryReadIsAnsweredByAHistoryReply() {
    List<HistoryReply> got = new ArrayList<>();
    link.request(id -> new HistoryRequest(id, "r", 0, 10, 5, false, false), (h, e) -> got.add(h));
    HistoryRequest req = (HistoryRequest) sent.get(0);
    requests.onReply(req.requestId(), new HistoryReply(req.requestId(), null, "", 1, 9, 1, List.of()));
    assertThat(got).singleElement().extracting(HistoryReply::lastSeq).isEqualTo(9L);
    assertThat(link.inFlight()).isZero();
  }

  @Test
  void aFailedRequestReachesTheContinuationAsAnError() {
    List<Throwable> errors = new ArrayList<>();
    link.forward(id -> new JoinRequest(id, "r", UserId.of("u")), (r, e) -> errors.add(e));
    requests.failAll(ADMIN, new ChatException(ErrorCode.UNAVAILABLE, "admin down"));
    assertThat(errors).singleElement().satisfies(e -> assertThat(ChatException.from(e).code()).isEqualTo(ErrorCode.UNAVAILABLE));
    assertThat(link.inFlight()).isZero();
    assertThat(order).containsExactly("after");
  }
}
