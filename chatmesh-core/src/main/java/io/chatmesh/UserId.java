package io.chatmesh;

/**
 * Identity of a person (or bot) inside rooms, e.g. {@code alice}. Immutable value; thread-safe.
 *
 * @param value 1 to 64 characters from {@code [A-Za-z0-9._-]}
 */
public record UserId(String value) implements Comparable<UserId> {

  /**
   * @throws ChatException {@link ErrorCode#BAD_REQUEST} if the value is null, blank, too long or
   *     has characters outside {@code [A-Za-z0-9._-]}
   * @param value 1 to 64 characters from {@code [A-Za-z0-9._-]}
   */
  public UserId {
    value = Identifiers.check("user id", value);
  }

  /**
   * Same as the constructor: {@code UserId.of("alice")}.
   *
   * @param value 1 to 64 characters from {@code [A-Za-z0-9._-]}
   * @return the user id
   */
  public static UserId of(String value) {
    return new UserId(value);
  }

  @Override
  public int compareTo(UserId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
