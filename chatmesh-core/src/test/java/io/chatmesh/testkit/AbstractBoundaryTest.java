package io.chatmesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A module outside core uses chatmesh-core through its public packages and SPIs: never the engine
 * ({@code io.chatmesh.internal}), and the wire model ({@code io.chatmesh.wire}) only if it is a
 * transport. Each module runs it by a near-empty subclass naming its package.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AbstractBoundaryTest {
  private JavaClasses classes;

  /** The module's root package, e.g. {@code io.chatmesh.history.jdbc}. */
  protected abstract String modulePackage();

  /** Whether the module is a transport, and so may use the wire model. */
  protected boolean isTransport() {
    return false;
  }

  @BeforeAll
  void importModule() {
    classes = Boundaries.mainClassesOfThisModule();
    assertThat(classes.containPackage(modulePackage())).as("classes of %s", modulePackage()).isTrue();
  }

  @Test
  void doesNotUseTheEngine() {
    Boundaries.noInternal().check(classes);
  }

  @Test
  void usesTheWireModelOnlyIfItIsATransport() {
    if (!isTransport()) {
      Boundaries.noWire().check(classes);
    }
  }
}
