#!/usr/bin/env bash
# Terminal chat client: ./chat.sh [ws://127.0.0.1:8081/ws] [name]
# Commands: /rooms /create NAME /join NAME /leave [NAME] /delete NAME /room NAME /quit; other lines are sent.
set -euo pipefail
cd "$(dirname "$0")"
if [[ ! -d examples/target/lib ]]; then
  echo "building chatmesh (mvn -DskipTests package) ..." >&2
  mvn -B -q -DskipTests -pl examples -am package
fi
exec java -cp "examples/target/classes:examples/target/lib/*" io.chatmesh.examples.ChatCli "$@"
