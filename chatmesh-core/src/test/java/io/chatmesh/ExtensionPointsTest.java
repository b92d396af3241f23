package io.chatmesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chatmesh.membership.FailureDetector;
import io.chatmesh.sequencer.Sequencer;
import io.chatmesh.transport.inmemory.InMemoryNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The builder's extension points: a custom sequencer and failure detector are what a running node uses. */
class ExtensionPointsTest {

  /** Numbers like the default one but forgets every client message id: retries are not recognised. */
  private static final class ForgetfulSequencer implements Sequencer {
    private final long epoch;
    private long last;
    final List<String> assigned = new CopyOnWriteArrayList<>();

    ForgetfulSequencer(long epoch, long lastSeq) {
      this.epoch = epoch;
      this.last = lastSeq;
    }

    @Override
    public long epoch() {
      return epoch;
    }

    @Override
    public long lastSeq() {
      return last;
    }

    @Override
    public OptionalLong lookup(UserId user, String clientMessageId) {
      return OptionalLong.empty();
    }

    @Override
    public long next(UserId user, @Nullable String clientMessageId) {
      assigned.add(user + "/" + clientMessageId);
      return ++last;
    }

    @Override
    public void remember(UserId user, String clientMessageId, long seq) {}
  }

  @Test
  void aCustomSequencerAssignsTheSeqsOfTheRoomsTheNodeAdministers() {
    List<long[]> created = new CopyOnWriteArrayList<>();
    List<ForgetfulSequencer> made = new CopyOnWriteArrayList<>();
    try (InMemoryNetwork net = new InMemoryNetwork();
        ChatNode n = ChatNode.builder().nodeId("n1").transport(net.transport("n1")).dedupWindow(77)
            .sequencer((epoch, lastSeq, window) -> {
              created.add(new long[] {epoch, lastSeq, window});
              ForgetfulSequencer s = new ForgetfulSequencer(epoch, lastSeq);
              made.add(s);
              return s;
            })
            .build().start()) {
      Room room = n.createRoom("general").join();
      room.join(UserId.of("alice"), e -> {}).join();
      Sent first = room.send(UserId.of("alice"), "hello", "c1").join();
      Sent retry = room.send(UserId.of("alice"), "hello", "c1").join();

      assertThat(created).singleElement().satisfies(a -> {
        assertThat(a[1]).isZero();
        assertThat(a[2]).isEqualTo(77);
      });
      assertThat(made.get(0).assigned).containsExactly("alice/null", "alice/c1", "alice/c1");
      // the default sequencer would answer the retry with seq 2 and duplicate = true
      assertThat(first.seq()).isEqualTo(2);
      assertThat(retry.seq()).isEqualTo(3);
      assertThat(retry.duplicate()).isFalse();
    }
  }

  @Test
  void theDefaultSequencerRecognisesTheSameRetry() {
    try (InMemoryNetwork net = new InMemoryNetwork();
        ChatNode n = ChatNode.builder().nodeId("n1").transport(net.transport("n1")).build().start()) {
      Room room = n.createRoom("general").join();
      room.join(UserId.of("alice"), e -> {}).join();
      Sent first = room.send(UserId.of("alice"), "hello", "c1").join();
      Sent retry = room.send(UserId.of("alice"), "hello", "c1").join();
      assertThat(retry.seq()).isEqualTo(first.seq());
      assertThat(retry.duplicate()).isTrue();
    }
  }

  /** Says UP on first hearing a peer and DOWN only when told: heartbeats cannot keep a peer alive. */
  private static final class VerdictByHand implements FailureDetector {
    private final Set<NodeId> alive = new HashSet<>();
    final Set<NodeId> condemned = ConcurrentHashMap.newKeySet();

    @Override
    public List<Change> heard(NodeId peer, long incarnation, long nowMillis) {
      if (condemned.contains(peer) || !alive.add(peer)) {
        return List.of();
      }
      return List.of(new Change(peer, Change.Kind.UP));
    }

    @Override
    public List<Change> check(long nowMillis) {
      List<Change> out = new ArrayList<>();
      for (NodeId p : condemned) {
        if (alive.remove(p)) {
          out.add(new Change(p, Change.Kind.DOWN));
        }
      }
      return out;
    }

    @Override
    public List<Change> down(NodeId peer) {
      return alive.remove(peer) ? List.of(new Change(peer, Change.Kind.DOWN)) : List.of();
    }

    @Override
    public Set<NodeId> alive() {
      return Set.copyOf(alive);
    }

    @Override
    public boolean isAlive(NodeId peer) {
      return alive.contains(peer);
    }
  }

  @Test
  void aCustomFailureDetectorDecidesWhichPeersAreAlive() {
    List<Duration> timeouts = new CopyOnWriteArrayList<>();
    VerdictByHand detector = new VerdictByHand();
    List<NodeId> downs = new CopyOnWriteArrayList<>();
    Duration heartbeat = Duration.ofMillis(20);
    try (InMemoryNetwork net = new InMemoryNetwork();
        ChatNode n1 = ChatNode.builder().nodeId("n1").transport(net.transport("n1"))
            .heartbeatInterval(heartbeat).failureTimeout(Duration.ofMinutes(5))
            .failureDetector(timeout -> {
              timeouts.add(timeout);
              return detector;
            })
            .build()) {
      n1.addClusterListener(new ClusterListener() {
        @Override
        public void onNodeDown(NodeId node) {
          downs.add(node);
        }
      });
      n1.start();
      try (ChatNode n2 = ChatNode.builder().nodeId("n2").transport(net.transport("n2")).seeds("n1")
          .heartbeatInterval(heartbeat).build().start()) {
        await().atMost(Duration.ofSeconds(10)).until(() -> n1.liveNodes().contains(NodeId.of("n2")));
        assertThat(timeouts).containsExactly(Duration.ofMinutes(5));

        // n2 keeps sending heartbeats; with a 5 minute timeout only this detector can call it dead
        detector.condemned.add(NodeId.of("n2"));
        await().atMost(Duration.ofSeconds(10)).until(() -> downs.contains(NodeId.of("n2")));
        assertThat(n1.liveNodes()).doesNotContain(NodeId.of("n2"));
        assertThat(n2.liveNodes()).contains(NodeId.of("n1"));
      }
    }
  }
}
