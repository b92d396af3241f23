package io.chatmesh;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.chatmesh.testkit.Boundaries;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * chatmesh-core's package layering, checked on its production classes with ArchUnit.
 *
 * <ul>
 *   <li>Public packages: {@code io.chatmesh}, {@code history}, {@code sequencer}, {@code
 *       membership}, {@code time}, {@code testing}, {@code transport.inmemory}, {@code twopc} and
 *       the SPIs {@code spi.history}, {@code spi.transport}, {@code spi.engine}.
 *   <li>{@code internal} is the engine: only it may depend on itself.
 *   <li>{@code wire} is the messages between nodes: the engine and the transport SPI (an {@link
 *       io.chatmesh.spi.transport.Envelope} carries a {@code WireMessage}; encoding it is what a
 *       transport does) may use it, no other public package.
 * </ul>
 *
 * <p>Why ArchUnit and not a {@code module-info} per module: core's abstract suites are shared as a
 * test-jar whose packages ({@code io.chatmesh.testkit}, and tests in {@code io.chatmesh} itself)
 * split the main module's packages, which JPMS forbids; and the test-jar must see {@code wire}
 * (transport contract tests build wire messages). ArchUnit states the same rules on the production
 * classes without changing how anything is packaged.
 */
class ArchitectureTest {
  private static JavaClasses core;

  @BeforeAll
  static void importCore() {
    core = Boundaries.mainClassesOfThisModule();
  }

  @Test
  void nothingOutsideTheEngineDependsOnIt() {
    noClasses()
        .that()
        .resideOutsideOfPackage(Boundaries.INTERNAL)
        .should()
        .dependOnClassesThat()
        .resideInAPackage(Boundaries.INTERNAL)
        .because("the public API finds the engine through spi.engine.EngineProvider, never by importing it")
        .check(core);
  }

  @Test
  void spisDoNotDependOnTheEngine() {
    noClasses().that().resideInAPackage("io.chatmesh.spi..").should().dependOnClassesThat().resideInAPackage(Boundaries.INTERNAL).check(core);
  }

  @Test
  void onlyTheEngineAndTheTransportSpiUseTheWireModel() {
    noClasses()
        .that()
        .resideOutsideOfPackages(Boundaries.INTERNAL, Boundaries.WIRE, "io.chatmesh.spi.transport..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage(Boundaries.WIRE)
        .because("the public API and the history SPI must not change meaning when the wire changes")
        .check(core);
  }

  @Test
  void twoPhaseCommitDoesNotUseTheWireModel() {
    noClasses().that().resideInAPackage("io.chatmesh.twopc..").should().dependOnClassesThat().resideInAPackage(Boundaries.WIRE).check(core);
  }

  @Test
  void theWireModelDependsOnlyOnPublicValues() {
    classes()
        .that()
        .resideInAPackage(Boundaries.WIRE)
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage("io.chatmesh", Boundaries.WIRE, "java..", "org.jspecify..")
        .check(core);
  }

  @Test
  void defaultImplementationsOfExtensionPointsAreNotApi() {
    classes()
        .that()
        .resideInAnyPackage("io.chatmesh.sequencer..", "io.chatmesh.membership..")
        .and()
        .areTopLevelClasses()
        .and()
        .areNotInterfaces()
        .should()
        .notBePublic()
        .because("only the interfaces and their factories are pluggable; the defaults come from static factories")
        .check(core);
  }
}
