package io.chatmesh;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.history.InMemoryHistoryStore;
import io.chatmesh.spi.history.HistoryEntry;
import io.chatmesh.spi.history.HistoryStore;
import java.util.List;
import io.chatmesh.testing.InMemoryCluster;
import io.chatmesh.testkit.AbstractHistoryClusterTest;
import io.chatmesh.testkit.Recorder;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The history suite with the default store: bounded, in memory, completing appends at once. */
class InMemoryHistoryClusterTest extends AbstractHistoryClusterTest {
  @Override
  protected @Nullable HistoryStore newStore(String name) {
    return null;
  }

  @Test
  void aJoinWhoseHistoryWasTrimmedIsToldNotRecoveredAndWhatIsMissing() {
    InMemoryCluster c = cluster(2, (n, b) -> b.historyInMemoryLimit(10));
    c.node("n1").createRoom("small").join();
    Room r1 = room(c.node("n1"), "small");
    result(r1.join(UserId.of("alice"), new Recorder()));
    for (int i = 0; i < 30; i++) {
      result(r1.send(UserId.of("alice"), "m" + i));
    }
    // log: 1 = alice joined, 2..31 = messages, 32 = bob joined; only 23..32 are kept
    Recorder bob = new Recorder();
    Joined j = result(room(c.node("n2"), "small").join(UserId.of("bob"), bob, JoinOptions.since(4)));
    assertThat(j.seq()).isEqualTo(32);
    assertThat(j.recovered()).isFalse();
    awaitUntil("bob sees his join", () -> bob.seqs().contains(32L));
    assertThat(bob.of(RoomEvent.MessagesLost.class)).singleElement()
        .satisfies(l -> {
          assertThat(l.fromSeq()).isEqualTo(5);
          assertThat(l.toSeq()).isEqualTo(22);
        });
    assertContiguous("bob", bob, 23, 32);
    assertThat(bob.events().get(0)).isInstanceOf(RoomEvent.MessagesLost.class);

    // the same join asking only for what is still kept is recovered
    Recorder carol = new Recorder();
    Joined cj = result(room(c.node("n2"), "small").join(UserId.of("carol"), carol, JoinOptions.since(25)));
    assertThat(cj.recovered()).isTrue();
    awaitUntil("carol sees her join", () -> carol.seqs().contains(cj.seq()));
    assertContiguous("carol", carol, 26, cj.seq());
  }

  @Test
  void theAdminStoresOneUserIdInstancePerMemberNotOnePerMessage() {
    InMemoryHistoryStore adminStore = InMemoryHistoryStore.create();
    InMemoryCluster c = cluster(2, (n, b) -> {
      if (n.equals("n1")) {
        b.history(adminStore);
      }
    });
    c.node("n1").createRoom("shared").join();
    Room r2 = room(c.node("n2"), "shared");
    result(r2.join(UserId.of("alice"), new Recorder()));
    for (int i = 0; i < 5; i++) {
      result(r2.send(UserId.of("alice"), "m" + i, "c" + i)); // a new, equal UserId per call, as if decoded from the wire
    }
    List<HistoryEntry> log = adminStore.readAfter("shared", 0, 100);
    assertThat(log).hasSize(6);
    assertThat(log.get(0).kind()).isEqualTo(HistoryEntry.Kind.JOINED);
    for (HistoryEntry e : log) {
      assertThat(e.user()).isEqualTo(UserId.of("alice")).isSameAs(log.get(0).user());
    }
  }
}
