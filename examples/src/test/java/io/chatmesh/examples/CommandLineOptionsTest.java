package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The demo's and the terminal client's command lines (parsed by picocli): {@code --version},
 * unknown and malformed options (exit code 2, the message names the option), and the {@code
 * token} command. Nothing here starts a node or connects anywhere.
 */
class CommandLineOptionsTest {
  /** The project version, as Maven passes it to the tests. */
  private static final String VERSION = System.getProperty("chatmesh.version", "(chatmesh.version not set)");

  /** The outcome of one run: exit code, standard output, standard error. */
  private record Run(int code, String out, String err) {}

  private static Run demo(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Demo.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static Run chat(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = ChatCli.run(args, new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void versionPrintsTheProjectVersion() {
    assertThat(VERSION).doesNotContain("not set");
    for (String flag : new String[] {"--version", "-V"}) {
      Run d = demo(flag);
      assertThat(d.code()).isZero();
      assertThat(d.out()).isEqualTo("chatmesh demo " + VERSION + "\n");
      Run c = chat(flag);
      assertThat(c.code()).isZero();
      assertThat(c.out()).isEqualTo("chatmesh terminal client " + VERSION + "\n");
    }
  }

  @Test
  void unknownOptionsAreUsageErrorsNamingTheOption() {
    Run d = demo("--ws-base", "18081", "--bogus");
    assertThat(d.code()).isEqualTo(2);
    assertThat(d.err()).contains("--bogus").contains("usage: ./demo.sh");
    assertThat(d.out()).isEmpty();

    Run c = chat("--bogus");
    assertThat(c.code()).isEqualTo(ChatCli.USAGE);
    assertThat(c.err()).contains("--bogus").contains("usage: chat.sh");
  }

  @Test
  void malformedValuesAreUsageErrorsNamingTheOption() {
    assertUsageError(demo("--nodes", "many"), "--nodes", "many");
    assertUsageError(demo("--nodes", "30"), "--nodes", "1..26");
    assertUsageError(demo("--grpc-port", "70000"), "--grpc-port", "70000");
    assertUsageError(demo("--failure-timeout-ms", "5"), "--failure-timeout-ms", "100..600000");
    assertUsageError(demo("--auth", "password"), "--auth", "password");
    assertUsageError(demo("--auth", "jwt:short"), "--auth", "32 bytes");
    assertUsageError(demo("--node", "n 1"), "--node", "n 1");
    assertUsageError(demo("--node", "n2", "--peers", "dns:chat"), "--peers", "dns:NAME:PORT");
    assertUsageError(demo("--grpc-base"), "--grpc-base", "");
    assertUsageError(demo("token"), "NAME", "");
    assertUsageError(demo("token", "alice", "--ttl", "forever"), "--ttl", "forever");
    assertUsageError(demo("token", "a b"), "a b", "");
    assertUsageError(demo("token", "alice", "--secret", "short"), "--secret", "32 bytes");

    assertUsageError(chat("--token"), "--token", "");
    assertUsageError(chat("http://127.0.0.1:1/"), "URL", "ws://");
    assertUsageError(chat("ws://127.0.0.1:1/ws", "no way"), "NAME", "no way");
    assertUsageError(chat("ws://127.0.0.1:1/ws", "bob", "extra"), "extra", "");
  }

  @Test
  void wrongFailoverOptionsAreUsageErrorsNamingTheOption() {
    assertUsageError(demo("--leases", "zookeeper://127.0.0.1:2181"), "--leases", "etcd://HOST:PORT");
    assertUsageError(demo("--leases", "etcd://127.0.0.1"), "--leases", "'127.0.0.1' is not HOST:PORT");
    assertUsageError(demo("--leases", "etcd://127.0.0.1:70000"), "--leases", "127.0.0.1:70000");
    assertUsageError(demo("--leases", "etcd://[::1]:2379"), "--leases", "IPv6");
    assertUsageError(demo("--leases", "postgresql:///chat"), "--leases", "names no host");
    assertUsageError(demo("--node", "n1", "--leases", "memory"), "--leases memory", "without --node");
    assertUsageError(demo("--replication-factor", "0"), "--replication-factor", "1..7");
    assertUsageError(demo("--replication-factor", "three"), "--replication-factor", "three");
    assertUsageError(demo("--acks", "fast"), "--acks", "replicated or admin-only");
    assertUsageError(demo("--node", "n1", "--replication-factor", "3"), "--replication-factor", "--leases is none");
    assertUsageError(demo("--leases", "none", "--acks", "admin-only"), "--acks", "--leases is none");

    // a password in a wrong database URL is not echoed
    Run noHost = demo("--leases", "postgresql://chat:hunter2@/chat");
    assertUsageError(noHost, "--leases", "names no host");
    assertThat(noHost.err()).doesNotContain("hunter2");
    Run mistyped = demo("--leases", "postgresq://chat:hunter2@db/chat");
    assertUsageError(mistyped, "--leases", "postgresql://");
    assertThat(mistyped.err()).doesNotContain("hunter2");
  }

  @Test
  void optionsTakeTheirValueAfterASpaceOrAnEqualsSign() {
    assertUsageError(demo("--nodes=30"), "--nodes", "1..26");
    assertUsageError(demo("--failure-timeout-ms", "5"), "--failure-timeout-ms", "was 5");
    assertThat(demo("token", "alice", "--ttl=90s").code()).isZero();
  }

  @Test
  void theTokenCommandPrintsAToken() {
    Run t = demo("token", "alice", "--ttl", "2h");
    assertThat(t.code()).isZero();
    assertThat(t.out()).matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\n");
    Run help = demo("token", "--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("usage: ./demo.sh token").contains("--secret").contains("--ttl");
  }

  private static void assertUsageError(Run r, String option, String detail) {
    assertThat(r.code()).as("exit code, stderr: " + r.err()).isEqualTo(2);
    assertThat(r.err()).as("stderr").contains(option).contains(detail).contains("usage:");
    assertThat(r.out()).as("stdout").isEmpty();
  }
}
