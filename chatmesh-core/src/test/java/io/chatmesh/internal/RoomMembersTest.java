package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.NodeId;
import io.chatmesh.UserId;
import io.chatmesh.internal.RoomMembers.Member;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoomMembersTest {
  private static final NodeId N1 = NodeId.of("n1");
  private static final NodeId N2 = NodeId.of("n2");
  private final RoomMembers members = new RoomMembers();

  @Test
  void aNodeCarriesEntriesWhileOneOfItsMembersIsThere() {
    Member alice = members.add(UserId.of("alice"), N1, 1);
    Member bob = members.add(UserId.of("bob"), N1, 2);
    members.addNode(alice, N2); // alice on a second device
    members.addNode(alice, N2); // counted once
    assertThat(members.nodes()).containsExactly(N1, N2);
    members.removeNode(alice, N2);
    assertThat(members.nodes()).containsExactly(N1);
    members.remove(alice);
    assertThat(members.nodes()).containsExactly(N1);
    members.remove(bob);
    assertThat(members.nodes()).isEmpty();
    assertThat(members.users()).isEmpty();
  }

  @Test
  void adoptedUsersAreAttachedDuringTheGracePeriodOnlyAndTheRestIsReturnedAtItsEnd() {
    members.adopt(List.of(UserId.of("alice"), UserId.of("carol")), 7, 1_000);
    assertThat(members.users()).containsExactly(UserId.of("alice"), UserId.of("carol"));
    assertThat(members.nodes()).isEmpty();
    members.attachIfAdopting(members.get(UserId.of("alice")), N2, 999);
    assertThat(members.get(UserId.of("alice")).nodes()).containsExactly(N2);
    assertThat(members.nodes()).containsExactly(N2);
    members.attachIfAdopting(members.get(UserId.of("carol")), N1, 1_000); // too late
    assertThat(members.get(UserId.of("carol")).nodes()).isEmpty();
    assertThat(members.endAdoption()).extracting(Member::user).containsExactly(UserId.of("carol"));
    members.attachIfAdopting(members.get(UserId.of("carol")), N1, 0); // the grace period is over
    assertThat(members.get(UserId.of("carol")).nodes()).isEmpty();
  }
}
