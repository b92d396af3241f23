package io.chatmesh.twopc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.twopc.TwoPhaseCommit.Outcome;
import io.chatmesh.twopc.TwoPhaseCommit.Result;
import io.chatmesh.twopc.TwoPhaseCommit.Vote;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class TwoPhaseCommitTypesTest {

  @Test
  void anAbortVoteCarriesItsCodeAndAReadyVoteNone() {
    Vote abort = Vote.abort(ErrorCode.ROOM_EXISTS, "room 'general' already exists");
    assertThat(abort.ready()).isFalse();
    assertThat(abort.code()).isEqualTo(ErrorCode.ROOM_EXISTS);
    assertThat(abort.detail()).isEqualTo("room 'general' already exists");
    assertThat(Vote.readyVote().code()).isNull();
    assertThatThrownBy(() -> new Vote(false, null, "why")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Vote(true, ErrorCode.ABORTED, "")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aRolledBackResultFailsWithTheVotersCodeOrTheCallersFallback() {
    ChatException coded = new Result(Outcome.ROLLED_BACK, ErrorCode.ROOM_EXISTS, "taken").failure(ErrorCode.UNAVAILABLE, "ctx");
    assertThat(coded.code()).isEqualTo(ErrorCode.ROOM_EXISTS);
    assertThat(coded.detail()).isEqualTo("taken");
    ChatException uncoded =
        new Result(Outcome.ROLLED_BACK, null, "no vote from [n3]").failure(ErrorCode.UNAVAILABLE, "could not reserve 'x'");
    assertThat(uncoded.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(uncoded.detail()).isEqualTo("could not reserve 'x': no vote from [n3]");
    assertThat(Result.committed().outcome()).isEqualTo(Outcome.COMMITTED);
  }

  @Test
  void twoPhaseCommitDoesNotDependOnTheWireFormat() throws IOException {
    Path dir = Path.of("src/main/java/io/chatmesh/twopc");
    assertThat(dir).isDirectory();
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> sources = files.filter(p -> p.toString().endsWith(".java")).toList();
      assertThat(sources).isNotEmpty();
      for (Path p : sources) {
        assertThat(Files.readString(p)).as(p + " imports nothing from io.chatmesh.wire").doesNotContain("io.chatmesh.wire");
      }
    }
  }
}
