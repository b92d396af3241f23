package io.chatmesh.spi.transport;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Looks up {@link TransportProvider}s on the class path. Stateless; thread-safe. */
public final class Transports {
  private Transports() {}

  /**
   * Creates a transport by provider name.
   *
   * @throws ChatException BAD_REQUEST naming the providers found and the artifact to add when no
   *     provider has that name (e.g. {@code grpc} needs {@code io.chatmesh:chatmesh-transport-grpc})
   * @param name the provider's name, e.g. {@code grpc}
   * @param listenAddress {@code host:port} to listen on
   * @return a new, unstarted transport
   */
  public static Transport create(String name, String listenAddress) {
    List<String> seen = new ArrayList<>();
    for (TransportProvider p : ServiceLoader.load(TransportProvider.class, Transports.class.getClassLoader())) {
      if (p.name().equals(name)) {
        return p.create(listenAddress);
      }
      seen.add(p.name());
    }
    String hint =
        name.equals("grpc")
            ? " Add the artifact io.chatmesh:chatmesh-transport-grpc to the class path."
            : " Add the artifact that provides it to the class path.";
    throw new ChatException(
        ErrorCode.BAD_REQUEST, "no transport named '" + name + "' (found: " + seen + ")." + hint);
  }
}
