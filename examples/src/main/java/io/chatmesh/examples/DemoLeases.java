package io.chatmesh.examples;

import io.chatmesh.Failover;
import io.chatmesh.lease.InMemoryRoomLeases;
import io.chatmesh.lease.etcd.EtcdRoomLeases;
import io.chatmesh.lease.jdbc.JdbcRoomLeases;
import io.chatmesh.spi.lease.RoomLeases;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The demo's {@code --leases} value: where the nodes take the leases that decide which node
 * administers (sequences) a room, so that rooms fail over when their admin dies. Immutable;
 * thread-safe.
 *
 * <ul>
 *   <li>{@code none}: no failover, a room dies with its admin;
 *   <li>{@code memory}: one {@link InMemoryRoomLeases} shared by the nodes of this process (only a
 *       whole cluster in one process can share it);
 *   <li>{@code etcd://host:port[,host:port...]}: {@link EtcdRoomLeases} over etcd's client URLs
 *       {@code http://host:port};
 *   <li>{@code postgresql://[user[:password]@]host[:port]/db[?params]} (also {@code postgres://}),
 *       the form {@code --history} takes, or a {@code jdbc:postgresql:} or {@code jdbc:h2:} URL:
 *       {@link JdbcRoomLeases}, a lease row per room in that database (CockroachDB speaks the
 *       PostgreSQL protocol).
 * </ul>
 *
 * @param kind which backend
 * @param etcdEndpoints etcd's client URLs ({@code http://host:port}), for {@link Kind#ETCD}
 * @param jdbcUrl the JDBC URL (credentials as parameters), for {@link Kind#JDBC}
 */
record DemoLeases(Kind kind, List<String> etcdEndpoints, @Nullable String jdbcUrl) {
  /** The lease backends the demo offers. */
  enum Kind {
    /** No failover. */
    NONE,
    /** In this JVM's memory, shared by the nodes of a whole cluster in this process. */
    MEMORY,
    /** An etcd cluster. */
    ETCD,
    /** A database over JDBC (PostgreSQL, CockroachDB, H2). */
    JDBC
  }

  /**
   * How long a call to etcd or the database may take: the renewal timeout of the timing rule, which
   * wants lease duration &gt; renew interval + this + clock drift bound. {@link Failover}'s build
   * check assumes it is at most the renew interval (default 2 s); the backends' own default (5 s)
   * would break the rule with Failover's default 6 s lease.
   */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);

  static final String FORMS = "none, memory, etcd://HOST:PORT[,HOST:PORT...], "
      + "postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DB or a jdbc:postgresql: URL";
  private static final Pattern HOST_PORT = Pattern.compile("([A-Za-z0-9._-]+):(\\d{1,5})");

  /** Copies the list. */
  DemoLeases {
    etcdEndpoints = List.copyOf(etcdEndpoints);
  }

  /**
   * Parses a {@code --leases} value.
   *
   * @param value the option's value
   * @return the backend it names
   * @throws IllegalArgumentException naming {@code --leases} and the accepted forms, without the
   *     password of a database URL
   */
  static DemoLeases parse(String value) {
    String v = value.trim();
    String lower = v.toLowerCase(Locale.ROOT);
    if (lower.equals("none")) {
      return new DemoLeases(Kind.NONE, List.of(), null);
    }
    if (lower.equals("memory")) {
      return new DemoLeases(Kind.MEMORY, List.of(), null);
    }
    if (lower.startsWith("etcd://")) {
      return new DemoLeases(Kind.ETCD, etcd(v.substring("etcd://".length())), null);
    }
    if (lower.startsWith("postgresql://") || lower.startsWith("postgres://")) {
      return new DemoLeases(Kind.JDBC, List.of(), postgres(v));
    }
    if (lower.startsWith("jdbc:postgresql:") || lower.startsWith("jdbc:h2:")) {
      return new DemoLeases(Kind.JDBC, List.of(), v);
    }
    int at = v.lastIndexOf('@'); // a mistyped URL may hold a password anywhere before it
    throw new IllegalArgumentException("--leases must be " + FORMS + "; was '" + (at < 0 ? v : "***" + v.substring(at)) + "'");
  }

  /** Whether this is {@code none}: no failover. */
  boolean none() {
    return kind == Kind.NONE;
  }

  /**
   * A new client of the backend, to share by every node of this process (the nodes do not close
   * it: the caller does). Connects on its first call, so an unreachable backend shows later, in the
   * nodes' logs.
   *
   * @return the leases, or null for {@code none}
   * @throws io.chatmesh.ChatException BAD_REQUEST if the backend refuses its settings
   */
  @Nullable RoomLeases open() {
    return switch (kind) {
      case NONE -> null;
      case MEMORY -> new InMemoryRoomLeases();
      case ETCD -> EtcdRoomLeases.builder().endpoints(etcdEndpoints.toArray(String[]::new))
          .requestTimeout(REQUEST_TIMEOUT).build();
      case JDBC -> JdbcRoomLeases.builder().url(java.util.Objects.requireNonNull(jdbcUrl))
          .requestTimeout(REQUEST_TIMEOUT).build();
    };
  }

  /** What the banner and the logs show: no password. */
  String describe() {
    return switch (kind) {
      case NONE -> "none";
      case MEMORY -> "in memory";
      case ETCD -> "etcd " + String.join(",", etcdEndpoints);
      case JDBC -> "database " + hidePassword(java.util.Objects.requireNonNull(jdbcUrl));
    };
  }

  private static List<String> etcd(String hosts) {
    List<String> out = new ArrayList<>();
    for (String hp : hosts.split(",", -1)) {
      if (hp.trim().startsWith("[")) { // jetcd cannot resolve ip:///[::1]:2379
        throw new IllegalArgumentException("--leases etcd://: the etcd client takes no IPv6 literal ('" + hp.trim()
            + "'): use a host name or an IPv4 address");
      }
      Matcher m = HOST_PORT.matcher(hp.trim());
      if (!m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65535) {
        throw new IllegalArgumentException(
            "--leases etcd://HOST:PORT[,HOST:PORT...]: '" + hp.trim() + "' is not HOST:PORT (e.g. etcd://127.0.0.1:2379)");
      }
      out.add("http://" + m.group(1) + ":" + Integer.parseInt(m.group(2)));
    }
    return out;
  }

  /**
   * {@code postgresql://[user[:password]@]host[:port]/db[?params]} as pgjdbc's URL, the user and
   * password (percent-escaped as in any URL) moved into parameters, as {@code --history} does.
   */
  private static String postgres(String spec) {
    URI uri;
    try {
      uri = new URI(spec);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("--leases '" + hidePassword(spec) + "' is not a valid URL: " + e.getReason()
          + " (write special characters of the password as %XX)");
    }
    String host = uri.getHost();
    String db = uri.getRawPath();
    if (host == null || db == null || db.length() < 2) {
      throw new IllegalArgumentException(
          "--leases '" + hidePassword(spec) + "' names no host or database: use postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DB");
    }
    StringBuilder url = new StringBuilder("jdbc:postgresql://").append(host);
    if (uri.getPort() >= 0) {
      url.append(':').append(uri.getPort());
    }
    url.append(db);
    List<String> params = new ArrayList<>();
    if (uri.getRawQuery() != null && !uri.getRawQuery().isEmpty()) {
      params.add(uri.getRawQuery());
    }
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null && !userInfo.isEmpty()) {
      int colon = userInfo.indexOf(':');
      params.add("user=" + reencode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
      if (colon >= 0) {
        params.add("password=" + reencode(userInfo.substring(colon + 1)));
      }
    }
    if (!params.isEmpty()) {
      url.append('?').append(String.join("&", params));
    }
    return url.toString();
  }

  private static String reencode(String raw) {
    return URLEncoder.encode(URLDecoder.decode(raw, StandardCharsets.UTF_8), StandardCharsets.UTF_8);
  }

  /** {@code url} without a password: none in the user part, none as a parameter. */
  static String hidePassword(String url) {
    return url.replaceAll("(?i)(password=)[^&;]*", "$1***").replaceAll("(//[^/@:]*:)[^/@]*@", "$1***@");
  }
}
