package io.chatmesh.internal;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.wire.HistoryReply;
import io.chatmesh.wire.Reply;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/** The failure of a request to a room's admin, as a {@link ChatException}. Stateless. */
final class Replies {
  private Replies() {}

  /** The failure of a request answered by a {@link Reply}, or null when it succeeded. */
  static @Nullable ChatException error(@Nullable Reply r, @Nullable Throwable e) {
    return failure(e, r != null, r == null ? null : r.error(), r == null ? "" : r.message());
  }

  /** Completes {@code out} with null when the request succeeded, else exceptionally with its failure. */
  static void completeVoid(@Nullable Reply r, @Nullable Throwable e, CompletableFuture<Void> out) {
    ChatException error = error(r, e);
    if (error != null) {
      out.completeExceptionally(error);
    } else {
      out.complete(null);
    }
  }

  /** The failure of a history read, or null when it succeeded. */
  static @Nullable ChatException historyError(@Nullable HistoryReply r, @Nullable Throwable e) {
    return failure(e, r != null, r == null ? null : r.error(), r == null ? "" : r.message());
  }

  /** The failure of a request: its exception, a missing answer, the answer's error code, or none. */
  private static @Nullable ChatException failure(
      @Nullable Throwable e, boolean answered, @Nullable ErrorCode code, String message) {
    if (e != null) {
      return ChatException.from(e);
    }
    if (!answered) {
      return new ChatException(ErrorCode.INTERNAL, "no reply");
    }
    return code == null ? null : new ChatException(code, message);
  }
}
