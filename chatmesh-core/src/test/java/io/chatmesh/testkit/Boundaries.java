package io.chatmesh.testkit;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;

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

  /** The production classes (no test classes) of the given packages, from the class path. */
  public static JavaClasses mainClassesOf(String... packages) {
    return new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(packages);
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
