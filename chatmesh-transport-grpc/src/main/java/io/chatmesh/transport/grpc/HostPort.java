package io.chatmesh.transport.grpc;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;

/**
 * A parsed {@code host:port} address ({@code [v6]:port} for IPv6 literals). Immutable.
 *
 * @param host host name or literal, without brackets
 * @param port 0..65535
 */
record HostPort(String host, int port) {

  /**
   * Parses {@code address}.
   *
   * @throws ChatException BAD_REQUEST naming the address when it is not {@code host:port}
   */
  static HostPort parse(String address) {
    if (address == null || address.isBlank()) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "address must be host:port, was '" + address + "'");
    }
    String a = address.trim();
    int colon = a.lastIndexOf(':');
    if (colon <= 0 || colon == a.length() - 1) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "address must be host:port, was '" + address + "'");
    }
    String host = a.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw new ChatException(
          ErrorCode.BAD_REQUEST, "IPv6 addresses need brackets, e.g. [::1]:9091; was '" + address + "'");
    }
    if (host.isEmpty()) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "address has no host: '" + address + "'");
    }
    int port;
    try {
      port = Integer.parseInt(a.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "address has no numeric port: '" + address + "'");
    }
    if (port < 0 || port > 65535) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "port out of range in '" + address + "'");
    }
    return new HostPort(host, port);
  }

  /** True for 0.0.0.0 and ::, which a server can bind but peers cannot dial. */
  boolean isWildcard() {
    return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
  }

  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
