#!/usr/bin/env bash
# Builds chatmesh (tests skipped) and starts the demo: by default a 3-node cluster on localhost
# (n1..n3, WebSockets 8081-8083, gRPC 9091-9093). Every argument is passed to the demo, e.g.
#   ./demo.sh --ws-base 18081 --grpc-base 19091          # other ports
#   ./demo.sh --node n2 --grpc-port 9092 --ws-port 8082 --peers 127.0.0.1:9091   # one node per process
#   ./demo.sh --node n2 --peers dns:chat:9091              # peers from DNS (a headless Service, a Compose service)
#   ./demo.sh --node n2 --grpc-port 9092 --ws-port 8082 --peers 127.0.0.1:9091 --leases etcd://127.0.0.1:2379   # rooms fail over (README: Failover)
#   ./demo.sh --help                                      # every option, at once (no build)
#   ./demo.sh --auth jwt:SECRET ; ./demo.sh token alice --secret SECRET   # require tokens; print one
# Needs JDK 17+ and Maven 3.8+. Set DEMO_SKIP_BUILD=1 to reuse an earlier build.
set -euo pipefail
cd "$(dirname "$0")"
# --help needs no build: the demo reads its usage text from this same file.
for arg in "$@"; do
  case "$arg" in
    -h | --help | --help=*) cat examples/src/main/resources/io/chatmesh/examples/demo-usage.txt; exit 0 ;;
  esac
done
if [[ "${DEMO_SKIP_BUILD:-0}" != "1" || ! -d examples/target/lib ]]; then
  echo "building chatmesh (mvn -DskipTests package) ..." >&2
  # no colour codes in a log this output is redirected to: -B and style.color for Maven's own
  # messages, jansi.noreset for the reset sequences Maven's console library prints at exit
  MAVEN_OPTS="${MAVEN_OPTS:-} -Djansi.noreset=true" mvn -B -q -Dstyle.color=never -DskipTests -pl examples -am package
fi
exec java -cp "examples/target/classes:examples/target/lib/*" io.chatmesh.examples.Demo "$@"
