package io.chatmesh.transport.grpc;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.chatmesh.testkit.Boundaries;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * This module uses chatmesh-core through its public packages and SPIs, not the engine ({@code
 * io.chatmesh.internal}); it may use the wire model, since encoding it is what a transport does.
 */
class BoundaryTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importModule() {
    classes = Boundaries.mainClassesOf("io.chatmesh.transport.grpc");
  }

  @Test
  void doesNotUseTheEngine() {
    Boundaries.noInternal().check(classes);
  }
}
