package io.chatmesh.lease.etcd;

import io.chatmesh.testkit.AbstractBoundaryTest;

/** The package rules of {@link AbstractBoundaryTest} for this module. */
class BoundaryTest extends AbstractBoundaryTest {
  @Override
  protected String modulePackage() {
    return "io.chatmesh.lease.etcd";
  }
}
