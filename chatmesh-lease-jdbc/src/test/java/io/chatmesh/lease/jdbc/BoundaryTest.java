package io.chatmesh.lease.jdbc;

import io.chatmesh.testkit.AbstractBoundaryTest;

/** The package rules of {@link AbstractBoundaryTest} for this module. */
class BoundaryTest extends AbstractBoundaryTest {
  @Override
  protected String modulePackage() {
    return "io.chatmesh.lease.jdbc";
  }
}
