package io.chatmesh.lease.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.spi.lease.Lease;
import io.chatmesh.spi.lease.RoomLeases;
import io.chatmesh.testkit.AbstractRoomLeasesTest;
import io.chatmesh.testkit.EtcdProcess;
import io.chatmesh.testkit.ExternalServer;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The lease contract on a real etcd that the test starts ({@link EtcdProcess}) and stops. Disabled,
 * with the reason reported, when {@code /usr/bin/etcd} is missing, except under CI ({@code
 * CI=true}), where that is a failure ({@code .ci/run} installs Debian's {@code etcd-server}).
 */
@ExtendWith(EtcdRoomLeasesTest.NeedsEtcd.class)
class EtcdRoomLeasesTest extends AbstractRoomLeasesTest {
  private static EtcdProcess etcd;

  @BeforeAll
  static void startEtcd() throws IOException {
    if (!EtcdProcess.available()) {
      fail(EtcdProcess.BINARY + " is missing under CI: .ci/run must install etcd-server");
    }
    etcd = EtcdProcess.start();
  }

  @AfterAll
  static void stopEtcd() {
    if (etcd != null) {
      etcd.close();
    }
  }

  @Override
  protected RoomLeases open() {
    // the defaults: a request timeout of 2 s, and 10 s for the calls before etcd first answered
    // (a fresh client's first call also connects; that took over 2 s once on a loaded CI machine)
    return EtcdRoomLeases.builder().endpoints(etcd.clientUrl()).build();
  }

  @Override
  protected RoomLeases openUnreachable() {
    return EtcdRoomLeases.builder()
        .endpoints("http://127.0.0.1:" + EtcdProcess.freePort())
        .requestTimeout(Duration.ofSeconds(2))
        .connectTimeout(Duration.ofSeconds(2))
        .build();
  }

  @Override
  protected Duration unreachableBound() {
    return Duration.ofSeconds(3);
  }

  @Override
  protected Duration shortTtl() {
    return Duration.ofSeconds(2); // etcd's minimum TTL with its default election timeout
  }

  @Test
  void aTtlIsRoundedUpToWholeSecondsNeverDown() {
    Lease l = result(leases.acquire(room("a"), node("n1"), Duration.ofMillis(1500)));
    assertThat(l.ttl()).isEqualTo(Duration.ofMillis(1500));
    Lease seen = result(leases.current(room("a"))).orElseThrow();
    assertThat(seen.ttl()).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void buildRefusesBadConfiguration() {
    assertThatThrownBy(() -> EtcdRoomLeases.builder().build())
        .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST));
    assertThatThrownBy(() -> EtcdRoomLeases.builder().prefix("no-slash"))
        .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.getMessage()).contains("prefix"));
  }

  @Test
  void untilEtcdFirstAnswersCallsAreBoundedByTheConnectTimeoutAndSaySo() {
    RoomLeases dead = track(EtcdRoomLeases.builder()
        .endpoints("http://127.0.0.1:" + EtcdProcess.freePort())
        .requestTimeout(Duration.ofSeconds(5))
        .connectTimeout(Duration.ofMillis(700))
        .build());
    long start = System.nanoTime();
    ChatException e = failure(() -> dead.acquire(room("a"), node("n1"), Duration.ofSeconds(10)));
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(e.getMessage()).contains("within 700 ms").contains("connect timeout");
    assertThat(took).as("the connect timeout, not the 5 s request timeout").isLessThan(Duration.ofMillis(4000));
  }

  @Test
  void aNonPositiveConnectTimeoutIsRefusedByName() {
    assertThatThrownBy(() -> EtcdRoomLeases.builder().connectTimeout(Duration.ZERO))
        .isInstanceOfSatisfying(ChatException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
          assertThat(e.getMessage()).contains("connectTimeout");
        });
  }

  /** Disables the class, with the reason, when there is no etcd binary and this is not CI. */
  static final class NeedsEtcd implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      return ExternalServer.condition(EtcdProcess.available(),
          "etcd lease tests skipped: " + EtcdProcess.BINARY + " is missing; install it with apt-get install -y etcd-server",
          EtcdRoomLeasesTest.class);
    }
  }
}
