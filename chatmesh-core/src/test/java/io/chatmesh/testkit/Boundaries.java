package io.chatmesh.testkit;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.ArchConfiguration;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The package rules every chatmesh module outside core follows, for its own small boundary test:
 * a module reaches chatmesh-core through the public packages and SPIs only, never through {@code
 * io.chatmesh.internal} (the engine may change in any release), and only a transport may see the
 * wire model ({@code io.chatmesh.wire}), because encoding it is what a transport does.
 */
public final class Boundaries {
  /** The engine's package. */
  public static final String INTERNAL = "io.chatmesh.internal..";

  /** The wire model: what nodes send each other. */
  public static final String WIRE = "io.chatmesh.wire..";

  private Boundaries() {}

  /**
   * The production classes of the module under test ({@code target/classes}, the working directory
   * being the module's, as under Maven). Classes they use from elsewhere are known by name only,
   * not read from their jars: the rules look at package names.
   */
  public static JavaClasses mainClassesOfThisModule() {
    ArchConfiguration.get().setResolveMissingDependenciesFromClassPath(false);
    Path classes = Path.of("target", "classes");
    if (!Files.isDirectory(classes)) {
      throw new IllegalStateException("no " + classes.toAbsolutePath() + ": run the test from the module directory (Maven does)");
    }
    return new ClassFileImporter().importPath(classes);
  }

  /** Nothing may depend on the engine. */
  public static ArchRule noInternal() {
    return noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAPackage(INTERNAL)
        .because("io.chatmesh.internal is chatmesh-core's engine, not API: use the public packages and SPIs");
  }

  /** Nothing may depend on the wire model (every module but a transport). */
  public static ArchRule noWire() {
    return noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAPackage(WIRE)
        .because("only the engine and transports speak the wire model; history stores use spi.history.HistoryEntry");
  }
}
