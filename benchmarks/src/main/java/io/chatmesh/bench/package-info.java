/** Side-by-side benchmarks of chatmesh and its peers; not part of the published library. */
@NullMarked
package io.chatmesh.bench;

import org.jspecify.annotations.NullMarked;
