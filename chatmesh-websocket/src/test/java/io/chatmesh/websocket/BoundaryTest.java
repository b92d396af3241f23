package io.chatmesh.websocket;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.chatmesh.testkit.Boundaries;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * This module uses chatmesh-core through its public packages and SPIs: neither the engine ({@code
 * io.chatmesh.internal}) nor the wire model ({@code io.chatmesh.wire}).
 */
class BoundaryTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importModule() {
    classes = Boundaries.mainClassesOf("io.chatmesh.websocket");
  }

  @Test
  void doesNotUseTheEngine() {
    Boundaries.noInternal().check(classes);
  }

  @Test
  void doesNotUseTheWireModel() {
    Boundaries.noWire().check(classes);
  }
}
