#!/usr/bin/env bash
# Terminal chat client: ./chat.sh [--reconnect] [ws://127.0.0.1:8081/ws[,ws://...]] [name]
# ./chat.sh --help lists the options, commands and exit codes; type /help in the client.
set -euo pipefail
cd "$(dirname "$0")"
if [[ ! -d examples/target/lib ]]; then
  echo "building chatmesh (mvn -DskipTests package) ..." >&2
  mvn -B -q -DskipTests -pl examples -am package
fi
exec java -cp "examples/target/classes:examples/target/lib/*" io.chatmesh.examples.ChatCli "$@"
