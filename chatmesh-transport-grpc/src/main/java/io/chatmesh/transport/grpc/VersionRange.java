package io.chatmesh.transport.grpc;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.grpc.Metadata;
import org.jspecify.annotations.Nullable;

/**
 * A range of protocol versions a node speaks, [{@code min}, {@code max}], and the one rule of the
 * link handshake: the link speaks the highest version in both ranges (proto/README.md,
 * "Versions"). Immutable; thread-safe.
 */
record VersionRange(int min, int max) {
  /** Request header: the caller's range, {@code "min-max"}. */
  static final Metadata.Key<String> VERSIONS_HEADER =
      Metadata.Key.of("chatmesh-protocol-versions", Metadata.ASCII_STRING_MARSHALLER);

  /**
   * Request header: one version, for servers from before negotiation (the caller's lowest);
   * response header and trailer: the version agreed (or, on refusal, the server's highest).
   */
  static final Metadata.Key<String> VERSION_HEADER =
      Metadata.Key.of("chatmesh-protocol-version", Metadata.ASCII_STRING_MARSHALLER);

  /** @throws ChatException BAD_REQUEST unless {@code 1 <= min <= max} */
  VersionRange {
    if (min < 1 || max < min) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "protocol version range must have 1 <= min <= max, was [" + min + ", " + max + "]");
    }
  }

  /**
   * The caller's range from the link's request headers: {@link #VERSIONS_HEADER} if present, else
   * the single {@link #VERSION_HEADER} of a caller from before negotiation as [v, v]; null if
   * neither is present or parseable.
   */
  static @Nullable VersionRange fromHeaders(Metadata headers) {
    String range = headers.get(VERSIONS_HEADER);
    if (range != null) {
      return parse(range);
    }
    String single = headers.get(VERSION_HEADER);
    if (single == null) {
      return null;
    }
    Integer v = number(single);
    return v == null || v < 1 ? null : new VersionRange(v, v);
  }

  /** {@code "min-max"} (or a single {@code "v"}); null if not a valid range. */
  static @Nullable VersionRange parse(String s) {
    int dash = s.indexOf('-');
    Integer min = number(dash < 0 ? s : s.substring(0, dash));
    Integer max = dash < 0 ? min : number(s.substring(dash + 1));
    if (min == null || max == null || min < 1 || max < min) {
      return null;
    }
    return new VersionRange(min, max);
  }

  private static @Nullable Integer number(String s) {
    if (s.isEmpty() || s.length() > 9) {
      return null;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return null;
      }
    }
    return Integer.parseInt(s);
  }

  /** The highest version in both ranges, or 0 if they do not overlap. */
  int highestCommon(VersionRange other) {
    int top = Math.min(max, other.max);
    return top >= Math.max(min, other.min) ? top : 0;
  }

  boolean contains(int version) {
    return min <= version && version <= max;
  }

  /** The header form, {@code "min-max"}. */
  String header() {
    return min + "-" + max;
  }

  /** For messages: {@code "[min, max]"}. */
  @Override
  public String toString() {
    return "[" + min + ", " + max + "]";
  }
}
