package io.chatmesh.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;

/**
 * The project version for {@code --version}: {@code version.properties} next to this class, which
 * Maven fills in from the POM when it copies the resources. Stateless.
 */
final class ProjectVersion {
  private ProjectVersion() {}

  /** The version, e.g. {@code 0.1.0-SNAPSHOT}. */
  static String get() {
    try (InputStream in = ProjectVersion.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        throw new IllegalStateException("version.properties is missing from the class path");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      throw new UncheckedIOException("could not read version.properties", e);
    }
  }

  /** {@code --version} of the demo. */
  static final class Demo implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"chatmesh demo " + get()};
    }
  }

  /** {@code --version} of the terminal client. */
  static final class Client implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"chatmesh terminal client " + get()};
    }
  }
}
