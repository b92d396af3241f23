package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.UserId;
import io.chatmesh.websocket.Authenticator;
import io.chatmesh.websocket.JwtAuthenticator;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code demo.sh token}, {@code --auth} and the terminal client's {@code --token}. */
class DemoAuthTest {

  @Test
  void aDevTokenIsAcceptedByTheDemosJwtAuthenticatorAndNamesTheUser() {
    String token = DemoToken.run(new String[] {"alice", "--ttl", "2h"}, Instant.now());
    Authenticator auth = Demo.access("jwt", "", List.of()).authenticator();
    assertThat(auth).isInstanceOf(JwtAuthenticator.class);
    var a = auth.authenticate(null, token);
    assertThat(a.user()).isEqualTo(UserId.of("alice"));
    assertThat(a.expiresAt()).isAfter(Instant.now().plus(Duration.ofMinutes(119)));

    // another secret: the demo's token is refused
    Authenticator other = Demo.access("jwt:" + "x".repeat(40), "", List.of()).authenticator();
    assertThatThrownBy(() -> other.authenticate(null, token))
        .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHORIZED));
    String signed = DemoToken.run(new String[] {"bob", "--secret", "x".repeat(40)}, Instant.now());
    assertThat(other.authenticate(UserId.of("bob"), signed).user()).isEqualTo(UserId.of("bob"));
  }

  @Test
  void authOptionsAreCheckedAndOpenIsTheDefault() {
    assertThat(Demo.access("open", "", List.of()).authenticator()).isSameAs(Authenticator.ALLOW_ALL);
    assertThat(Demo.access("open", "https://a.example, https://b.example", List.of("http://127.0.0.1:8081"))
        .allowedOrigins()).containsExactly("http://127.0.0.1:8081", "https://a.example", "https://b.example");
    assertThatThrownBy(() -> Demo.access("jwt:short", "", List.of())).hasMessageContaining("32 bytes");
    assertThatThrownBy(() -> Demo.access("password", "", List.of())).hasMessageContaining("--auth must be");
    assertThatThrownBy(() -> DemoToken.run(new String[] {}, Instant.now())).hasMessageContaining("NAME");
    assertThatThrownBy(() -> DemoToken.run(new String[] {"a b"}, Instant.now())).hasMessageContaining("not a valid user name");
    assertThatThrownBy(() -> DemoToken.duration("forever")).hasMessageContaining("--ttl");
    assertThat(DemoToken.duration("90s")).isEqualTo(Duration.ofSeconds(90));
  }

  @Test
  void theTerminalClientTakesATokenFromItsOptionOrTheEnvironment() {
    assertThat(ChatCli.Options.parse(new String[] {"--token", "abc", "ws://h:1/ws", "alice"}, null).token()).isEqualTo("abc");
    assertThat(ChatCli.Options.parse(new String[] {"--token=xyz", "ws://h:1/ws", "alice"}, null).token()).isEqualTo("xyz");
    assertThat(ChatCli.Options.parse(new String[] {"ws://h:1/ws", "alice"}, "from-env").token()).isEqualTo("from-env");
    assertThat(ChatCli.Options.parse(new String[] {"ws://h:1/ws", "alice"}, null).token()).isNull();
    assertThatThrownBy(() -> ChatCli.Options.parse(new String[] {"--token"}, null)).hasMessageContaining("--token");
  }
}
