#!/usr/bin/env bash
# Terminal chat client: ./chat.sh [--reconnect] [ws://127.0.0.1:8081/ws[,ws://...]] [name]
# ./chat.sh --help lists the options, commands and exit codes; type /help in the client.
set -euo pipefail
cd "$(dirname "$0")"
if [[ ! -d examples/target/lib ]]; then
  for arg in "$@"; do
    case "$arg" in # not built yet: answer --help from this script's header instead of building first
      -h | --help) sed -n '2,3s/^# \{0,1\}//p' "$(basename "$0")"; exit 0 ;;
    esac
  done
  echo "building chatmesh (mvn -DskipTests package) ..." >&2
  MAVEN_OPTS="${MAVEN_OPTS:-} -Djansi.noreset=true" mvn -B -q -Dstyle.color=never -DskipTests -pl examples -am package
fi
exec java -cp "examples/target/classes:examples/target/lib/*" io.chatmesh.examples.ChatCli "$@"
