#!/usr/bin/env bash
# Builds chatmesh (tests skipped) and starts the demo: by default a 3-node cluster on localhost
# (n1..n3, WebSockets 8081-8083, gRPC 9091-9093). Every argument is passed to the demo, e.g.
#   ./demo.sh --ws-base 18081 --grpc-base 19091          # other ports
#   ./demo.sh --node n2 --grpc-port 9092 --ws-port 8082 --peers 127.0.0.1:9091   # one node per process
#   ./demo.sh --help
# Needs JDK 17+ and Maven 3.8+. Set DEMO_SKIP_BUILD=1 to reuse an earlier build.
set -euo pipefail
cd "$(dirname "$0")"
if [[ "${DEMO_SKIP_BUILD:-0}" != "1" || ! -d examples/target/lib ]]; then
  echo "building chatmesh (mvn -DskipTests package) ..." >&2
  mvn -B -q -DskipTests -pl examples -am package
fi
exec java -cp "examples/target/classes:examples/target/lib/*" io.chatmesh.examples.Demo "$@"
