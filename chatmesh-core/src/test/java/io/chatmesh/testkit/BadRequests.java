package io.chatmesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Assertions for input checks: bad input is a {@link ChatException} BAD_REQUEST naming the problem. */
public final class BadRequests {
  private BadRequests() {}

  /** Asserts that {@code call} throws ChatException BAD_REQUEST whose message contains {@code detail}. */
  public static void assertBadRequest(ThrowingCallable call, String detail) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
        .hasMessageContaining(detail);
  }
}
