package io.chatmesh;

/**
 * Identity of a chat node in the cluster, e.g. {@code n1}. Immutable value; thread-safe.
 *
 * @param value 1 to 64 characters from {@code [A-Za-z0-9._-]}
 */
public record NodeId(String value) implements Comparable<NodeId> {

  /**
   * @throws ChatException {@link ErrorCode#BAD_REQUEST} if the value is null, blank, too long or
   *     has characters outside {@code [A-Za-z0-9._-]}
   * @param value 1 to 64 characters from {@code [A-Za-z0-9._-]}
   */
  public NodeId {
    value = Identifiers.check("node id", value);
  }

  /**
   * Same as the constructor; reads well at call sites: {@code NodeId.of("n1")}.
   *
   * @param value 1 to 64 characters from {@code [A-Za-z0-9._-]}
   * @return the node id
   */
  public static NodeId of(String value) {
    return new NodeId(value);
  }

  @Override
  public int compareTo(NodeId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
