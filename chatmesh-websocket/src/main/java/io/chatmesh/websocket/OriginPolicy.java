package io.chatmesh.websocket;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Which {@code Origin} may open a WebSocket: the gateway's own (the origin whose authority equals
 * the request's {@code Host}), the configured list ({@code *} = any), and a missing header when
 * allowed. Immutable and thread-safe.
 */
final class OriginPolicy {
  private final Set<String> allowed;
  private final boolean any;
  private final boolean allowMissing;

  OriginPolicy(List<String> allowed, boolean allowMissing) {
    this.allowed = Set.copyOf(allowed);
    this.any = allowed.contains("*");
    this.allowMissing = allowMissing;
  }

  /** Lower-cases and validates configured origins ({@code scheme://host[:port]} or {@code *}). */
  static List<String> normalize(Collection<String> origins) {
    return origins.stream().map(o -> {
      if (o == null || o.isBlank()) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "allowedOrigins: an origin must not be blank");
      }
      String t = o.trim().toLowerCase(Locale.ROOT);
      if (t.equals("*")) {
        return t;
      }
      String authority = authority(t);
      if (authority == null || !(t.startsWith("http://") || t.startsWith("https://"))) {
        throw new ChatException(ErrorCode.BAD_REQUEST,
            "allowedOrigins: '" + o + "' is not an origin like https://chat.example.com or http://127.0.0.1:8081");
      }
      return t.endsWith("/") ? t.substring(0, t.length() - 1) : t;
    }).toList();
  }

  /**
   * @param origin the request's {@code Origin} header, or null if absent
   * @param host the request's {@code Host} header, or null if absent
   */
  boolean allows(@Nullable String origin, @Nullable String host) {
    if (origin == null) {
      return allowMissing;
    }
    String o = origin.trim().toLowerCase(Locale.ROOT);
    if (any || allowed.contains(o)) {
      return true;
    }
    String authority = authority(o);
    return authority != null && host != null && authority.equals(host.trim().toLowerCase(Locale.ROOT));
  }

  /** The {@code host[:port]} of an origin, or null if it is not a URI with a host ("null" origins). */
  private static @Nullable String authority(String origin) {
    try {
      URI u = new URI(origin);
      return u.getHost() == null ? null : u.getRawAuthority();
    } catch (URISyntaxException e) {
      return null;
    }
  }
}
