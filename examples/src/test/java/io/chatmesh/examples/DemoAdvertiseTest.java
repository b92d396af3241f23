package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code --advertise HOST}: the address a node's peers dial when it listens on {@code 0.0.0.0} in a
 * container (a pod IP, a Compose service name), with the node's own gRPC port.
 */
@Timeout(60)
class DemoAdvertiseTest {
  @Test
  void hostGetsTheNodesGrpcPort() {
    assertThat(Demo.advertise("n2", 9092)).isEqualTo(new DemoNode.GrpcAddress(9092, "n2:9092"));
    assertThat(Demo.advertise("10.1.2.3", 9091).advertised()).isEqualTo("10.1.2.3:9091");
    assertThat(Demo.advertise("fd00::5", 9091).advertised()).isEqualTo("[fd00::5]:9091");
    assertThat(Demo.advertise(null, 9091)).isEqualTo(new DemoNode.GrpcAddress(9091, null));
  }

  @Test
  void refusesWhatIsNoHostAndAnUnknownPort() {
    assertThatThrownBy(() -> Demo.advertise("n1,n2", 9091)).hasMessageContaining("--advertise");
    assertThatThrownBy(() -> Demo.advertise(" ", 9091)).hasMessageContaining("--advertise");
    assertThatThrownBy(() -> Demo.advertise("n1", 0)).hasMessageContaining("fixed gRPC port");
    assertThat(Demo.parse("--node", "n1", "--advertise", "n1").advertise).isEqualTo("n1");
    assertThatThrownBy(() -> Demo.parse("--node", "n1", "--grpc-port", "0", "--advertise", "n1"))
        .hasMessageContaining("fixed gRPC port");
  }

  @Test
  void theNodeTellsItsPeersTheAdvertisedAddress() {
    // listens on a free loopback port; the advertised address is what the node reports as its own
    try (DemoNode node = DemoNode.start(
        "n1", "127.0.0.1", new DemoNode.GrpcAddress(0, "chatmesh-0.chatmesh-peers:9091"), 0, List.of(), Duration.ofSeconds(2), null,
        null, DemoNode.Access.OPEN, null)) {
      assertThat(node.node().address()).isEqualTo("chatmesh-0.chatmesh-peers:9091");
    }
  }
}
