package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/**
 * How the terminal client words the gateway's room frames that no test cluster can make on demand:
 * an {@code available} frame after another node took the room over names the admin and the epoch.
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
}
