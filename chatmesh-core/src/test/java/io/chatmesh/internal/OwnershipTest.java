package io.chatmesh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatmesh.UserId;
import io.chatmesh.wire.EventKind;
import io.chatmesh.wire.Sequenced;
import org.junit.jupiter.api.Test;

class OwnershipTest {
  private static final UserId OWNER = UserId.of("owner");
  private static final UserId GUEST = UserId.of("guest");

  private final Ownership o = new Ownership();

  private static Sequenced entry(EventKind kind, UserId user, String text) {
    return new Sequenced("r", 1, 1, kind, user, text, null, 0);
  }

  @Test
  void aRoomWithoutOwnerIsOpenAndNobodyOwnsIt() {
    assertThat(o.mayJoin(GUEST)).isTrue();
    assertThat(o.isOwner(GUEST)).isFalse();
    assertThat(o.notOwner("r", GUEST, "delete it")).isEqualTo("room 'r' has no owner; no user may delete it");
  }

  @Test
  void aPrivateRoomAdmitsItsOwnerAndInvitedUsersOnly() {
    o.apply(entry(EventKind.SETTINGS, OWNER, "private"));
    assertThat(o.isOwner(OWNER)).isTrue();
    assertThat(o.mayJoin(OWNER)).isTrue();
    assertThat(o.mayJoin(GUEST)).isFalse();
    o.apply(entry(EventKind.INVITED, GUEST, ""));
    assertThat(o.isInvited(GUEST)).isTrue();
    assertThat(o.mayJoin(GUEST)).isTrue();
    o.apply(entry(EventKind.UNINVITED, GUEST, ""));
    assertThat(o.mayJoin(GUEST)).isFalse();
    assertThat(o.notOwner("r", GUEST, "invite users to it")).contains("only the owner of room 'r'").contains("not " + GUEST);
  }

  @Test
  void aPublicRoomWithAnOwnerAdmitsEveryone() {
    o.apply(entry(EventKind.SETTINGS, OWNER, "public"));
    assertThat(o.mayJoin(GUEST)).isTrue();
    assertThat(o.isOwner(GUEST)).isFalse();
  }

  @Test
  void onlyOwnershipEntriesAreSettings() {
    assertThat(Ownership.isSettings(EventKind.SETTINGS)).isTrue();
    assertThat(Ownership.isSettings(EventKind.INVITED)).isTrue();
    assertThat(Ownership.isSettings(EventKind.UNINVITED)).isTrue();
    assertThat(Ownership.isSettings(EventKind.MESSAGE)).isFalse();
    o.apply(entry(EventKind.MESSAGE, GUEST, "private"));
    assertThat(o.mayJoin(GUEST)).as("a message changes nothing").isTrue();
  }
}
