package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;

/**
 * How the terminal client words the gateway's room frames that no test cluster can make on demand:
 * an {@code available} frame after another node took the room over names the admin and the epoch;
 * a room that failed over (a higher epoch whose seqs continue the log) is the same log, not a
 * restarted one ({@link LogPosition}).
 */
class ChatSessionFramesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void anAvailableFrameNamesTheAdminNowAndItsEpoch() throws Exception {
    assertThat(ChatSession.availableLine(JSON.readTree("{\"type\":\"available\",\"room\":\"room-a\",\"admin\":\"n2\",\"epoch\":2}")))
        .isEqualTo("* room room-a is available again - admin now n2 (epoch 2)");
    // a gateway that names no admin (older versions)
    assertThat(ChatSession.availableLine(JSON.readTree("{\"type\":\"available\",\"room\":\"room-a\"}")))
        .isEqualTo("* room room-a is available again");
  }

  private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  private final ChatSession session = new ChatSession(
      new ChatCli.Options(List.of(URI.create("ws://127.0.0.1:1/ws")), "alice", false, null),
      new LinkedBlockingQueue<>(), new PrintStream(printed, true, StandardCharsets.UTF_8));

  private void frame(String json) throws Exception {
    session.print(JSON.readTree(json.replace('\'', '"')));
  }

  private void joined(long seq, long epoch) throws Exception {
    frame("{'type':'joined','room':'r','admin':'n1','seq':" + seq + ",'epoch':" + epoch + ",'members':['alice'],'recovered':true}");
  }

  private void message(long seq, long epoch, String text) throws Exception {
    frame("{'type':'message','room':'r','seq':" + seq + ",'epoch':" + epoch + ",'user':'bob','text':'" + text + "','ts':0}");
  }

  private List<String> lines() {
    return printed.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.startsWith("* joined")).map(l -> l.replaceFirst("^\\[[^]]*\\] ", "")).toList();
  }

  @Test
  void aResumeAfterAFailoverKeepsThePositionAndShowsEachEventOnce() throws Exception {
    joined(5, 1);
    message(6, 1, "six");
    message(7, 1, "seven");
    assertThat(session.position("r")).isEqualTo("1/7");
    // reconnected; the room moved after seq 8 (8 keeps epoch 1, 9.. carry epoch 2)
    joined(11, 2);
    assertThat(session.position("r")).as("a join after what was seen keeps the position").isEqualTo("1/7");
    message(7, 1, "seven"); // overlap
    message(8, 1, "eight");
    message(9, 2, "nine");
    message(12, 2, "twelve");
    assertThat(lines()).containsExactly("r bob: six", "r bob: seven", "r bob: eight", "r bob: nine", "r bob: twelve");
    assertThat(session.position("r")).isEqualTo("2/12");
  }

  @Test
  void liveEventsAtAHigherEpochAfterAFailoverAreNoRestart() throws Exception {
    joined(5, 1);
    message(6, 1, "a");
    frame("{'type':'available','room':'r','admin':'n2','epoch':2}");
    message(7, 2, "b");
    message(7, 2, "b"); // a duplicate
    assertThat(lines()).containsExactly("r bob: a", "* room r is available again - admin now n2 (epoch 2)", "r bob: b");
  }

  @Test
  void anUnavailableFrameGivesTheGatewaysReasonOnlyOnce() throws Exception {
    joined(5, 1);
    frame("{'type':'unavailable','room':'r','reason':'admin node n1 is unreachable: node n1 stopped answering heartbeats'}");
    session.print(JSON.readTree("{\"type\":\"unavailable\",\"room\":\"r\",\"reason\":\"room 'r' moves from node n1 to node n2\"}"));
    assertThat(lines()).containsExactly(
        "! room r is unavailable: admin node n1 is unreachable: node n1 stopped answering heartbeats",
        "! room r is unavailable: room 'r' moves from node n1 to node n2");
  }

  @Test
  void anEventOrJoinWithAnotherEpochThatDoesNotContinueTheLogIsARestart() throws Exception {
    joined(40, 1);
    message(41, 1, "old");
    message(2, 5, "new log");
    assertThat(session.position("r")).isEqualTo("5/2");
    joined(1, 9); // resumed into a room created again
    assertThat(session.position("r")).as("the positions start again").isEqualTo("9/0");
    message(2, 9, "newer log");
    String restart = "! the history of r restarted (the room was created again, or its admin came back without it)";
    assertThat(lines()).containsExactly("r bob: old", restart, "r bob: new log", restart, "r bob: newer log");
  }

  @Test
  void theRuleRelatesEntriesAndJoinsToTheLastEntrySeen() {
    assertThat(LogPosition.relation(0, 0, 3, 1, false)).isEqualTo(LogPosition.Relation.CONTINUES);
    assertThat(LogPosition.relation(1, 40, 1, 40, false)).isEqualTo(LogPosition.Relation.SEEN);
    assertThat(LogPosition.relation(1, 40, 2, 41, false)).isEqualTo(LogPosition.Relation.CONTINUES);
    assertThat(LogPosition.relation(2, 0, 1, 8, false)).as("history from before a failover").isEqualTo(LogPosition.Relation.CONTINUES);
    assertThat(LogPosition.relation(1, 40, 2, 40, false)).isEqualTo(LogPosition.Relation.RESTARTED);
    assertThat(LogPosition.relation(1, 40, 2, 45, true)).isEqualTo(LogPosition.Relation.CONTINUES);
    assertThat(LogPosition.relation(1, 40, 1, 40, true)).isEqualTo(LogPosition.Relation.RESTARTED);
    assertThat(LogPosition.relation(1, 40, 2, 3, true)).isEqualTo(LogPosition.Relation.RESTARTED);
  }
}
