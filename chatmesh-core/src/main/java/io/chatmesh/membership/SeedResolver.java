package io.chatmesh.membership;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resolves the name of a {@code dns:NAME:PORT} seed to the addresses of the nodes behind it (every
 * A and AAAA record), e.g. a Kubernetes headless Service or a Docker Compose service name.
 *
 * <p>Pluggable through {@code ChatNode.Builder.seedResolver(...)}; the default is {@link #system()}.
 * The node calls it on a thread of its own, once when it starts and then once per {@code
 * seedResolveInterval}, never on its lanes, so an implementation may block (a DNS query); it
 * should still return within a few seconds, as the next round waits for it. An empty list means
 * the name has no address now; an exception means the lookup failed (the node keeps the addresses
 * of its last answer and tries again next round). Implementations must be thread-safe.
 */
@FunctionalInterface
public interface SeedResolver {

  /**
   * The JVM's resolver: {@link InetAddress#getAllByName(String)}, which asks the operating system
   * (hosts file, then DNS). The JVM caches answers: positive ones for 30 s and negative ones for
   * 10 s by default (the security properties {@code networkaddress.cache.ttl} and {@code
   * networkaddress.cache.negative.ttl}), so a change is seen within the interval plus that time.
   *
   * @return the default resolver
   */
  static SeedResolver system() {
    return name -> List.of(InetAddress.getAllByName(name));
  }

  /**
   * Every address {@code name} resolves to now.
   *
   * @param name a host name, e.g. {@code chat.default.svc.cluster.local}
   * @return the addresses (IPv4 and IPv6), possibly empty; duplicates are ignored
   * @throws UnknownHostException if the name does not resolve (the node logs it and keeps its
   *     previous answer)
   */
  List<InetAddress> resolve(String name) throws UnknownHostException;

  /**
   * A seed written {@code dns:NAME:PORT}: every address NAME resolves to, each with PORT.
   * Immutable.
   *
   * @param seed the seed as written, e.g. {@code dns:chat.default.svc.cluster.local:9091}
   * @param name the host name to resolve
   * @param port the transport port of every resolved address, 1..65535
   */
  record DnsSeed(String seed, String name, int port) {
    private static final String PREFIX = "dns:";
    private static final Pattern SYNTAX =
        Pattern.compile("([A-Za-z0-9](?:[A-Za-z0-9_.-]{0,252}[A-Za-z0-9.])?):(\\d{1,5})");

    /**
     * Checks the parts.
     *
     * @param seed the seed as written
     * @param name the host name to resolve
     * @param port the port, 1..65535
     * @throws ChatException BAD_REQUEST if the port is out of range or the name is blank
     */
    public DnsSeed {
      if (name.isBlank() || port < 1 || port > 65535) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "seed '" + seed + "' needs a host name and a port 1..65535");
      }
    }

    /**
     * Parses a seed: a {@code dns:NAME:PORT} seed (the prefix in any case), or empty for any other
     * seed (a transport address).
     *
     * @param seed a seed as given to {@code ChatNode.Builder.seeds}
     * @return the DNS seed, or empty if {@code seed} does not start with {@code dns:}
     * @throws ChatException BAD_REQUEST naming the seed if it starts with {@code dns:} but is not a
     *     host name (letters, digits, '.', '-', '_'), a colon and a port 1..65535
     */
    public static Optional<DnsSeed> parse(String seed) {
      if (!seed.toLowerCase(Locale.ROOT).startsWith(PREFIX)) {
        return Optional.empty();
      }
      Matcher m = SYNTAX.matcher(seed.substring(PREFIX.length()));
      int port = m.matches() ? Integer.parseInt(m.group(2)) : 0;
      if (port < 1 || port > 65535) {
        throw new ChatException(
            ErrorCode.BAD_REQUEST,
            "seed '" + seed + "' must be dns:NAME:PORT: a host name (letters, digits, '.', '-', '_') and a port"
                + " 1..65535, e.g. dns:chat.default.svc.cluster.local:9091");
      }
      return Optional.of(new DnsSeed(seed, m.group(1), port));
    }
  }
}
