package io.chatmesh.internal;

import io.chatmesh.Identifiers;
import org.jspecify.annotations.Nullable;

/** Room-name and identifier checks for the engine: the public {@link Identifiers} rule. Internal. */
final class Names {
  private Names() {}

  static String checkIdentifier(String what, @Nullable String value) {
    return Identifiers.check(what, value);
  }
}
