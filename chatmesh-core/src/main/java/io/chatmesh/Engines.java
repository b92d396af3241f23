package io.chatmesh;

import io.chatmesh.spi.engine.EngineProvider;
import java.util.Iterator;
import java.util.ServiceLoader;

/** Finds the engine through {@link ServiceLoader}, once. Thread-safe. */
final class Engines {
  private Engines() {}

  /** The provider, looked up on first use (the holder idiom makes that thread-safe). */
  static EngineProvider provider() {
    return Holder.PROVIDER;
  }

  private static final class Holder {
    static final EngineProvider PROVIDER = load();
  }

  private static EngineProvider load() {
    Iterator<EngineProvider> found =
        ServiceLoader.load(EngineProvider.class, Engines.class.getClassLoader()).iterator();
    if (!found.hasNext()) {
      throw new ChatException(
          ErrorCode.INTERNAL,
          "no io.chatmesh.spi.engine.EngineProvider found: chatmesh-core's"
              + " META-INF/services/io.chatmesh.spi.engine.EngineProvider is missing (a shaded jar must keep it)");
    }
    return found.next();
  }
}
