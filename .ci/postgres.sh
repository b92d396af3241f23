#!/usr/bin/env bash
# Throwaway PostgreSQL server for tests, the same for CI and developers.
#
#   eval "$(.ci/postgres.sh start)"   # installs Debian's postgresql if missing, starts a cluster in a
#                                     # temp dir on a free 127.0.0.1 port outside the
#                                     # ephemeral range, as a non-root user, and
#                                     # prints: export CHATMESH_PG_URL=...; export CHATMESH_PG_DIR=...
#   mvn -B -q -pl chatmesh-history-jdbc -am verify
#   .ci/postgres.sh stop              # stops the cluster in $CHATMESH_PG_DIR (or the dir given) and
#                                     # removes it
#
# Only stdout carries the exports; progress goes to stderr.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

find_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then echo "$d"; fi
}

as_owner() { # run a command as the cluster's owner
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A TCP port for the server, chosen where the kernel never hands out ports by itself: outside the
# ephemeral range (/proc/sys/net/ipv4/ip_local_port_range, which outgoing connections and port-0
# binds draw from, so a port picked inside it can be taken between the pick and the bind), and not
# used by any socket in any state (listening or connected, from /proc/net/tcp and tcp6). The window
# is the 10,000 ports just below the ephemeral range (or just above it when there is no room below);
# the scan starts at a random place in it so that two concurrent starts rarely meet. One pick, no
# retries: if the server still cannot bind it, that is reported as the failure it is.
pick_port() {
  local lo hi from to
  read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
  if (( lo - 10000 >= 1024 )); then
    from=$(( lo - 10000 )); to=$(( lo - 1 ))
  elif (( hi + 10000 <= 65535 )); then
    from=$(( hi + 1 )); to=$(( hi + 10000 ))
  else
    log "no room for 10,000 ports outside the ephemeral range $lo-$hi"; return 1
  fi
  local -A used=()
  local sl local_address rest
  for f in /proc/net/tcp /proc/net/tcp6; do
    [[ -r "$f" ]] || continue
    while read -r sl local_address rest; do
      [[ "$sl" == sl ]] && continue
      used[$(( 16#${local_address##*:} ))]=1
    done <"$f"
  done
  local size=$(( to - from + 1 )) start i port
  start=$(( (RANDOM * 32768 + RANDOM) % size ))
  for (( i = 0; i < size; i++ )); do
    port=$(( from + (start + i) % size ))
    if [[ -z "${used[$port]:-}" ]]; then echo "$port"; return 0; fi
  done
  log "every port in $from-$to is in use"; return 1
}

start() {
  local bindir
  bindir=$(find_bindir)
  if [[ -z "$bindir" ]]; then
    if [[ $(id -u) -ne 0 ]]; then
      log "PostgreSQL is not installed and this is not root: apt-get install -y postgresql"; exit 1
    fi
    log "installing Debian's postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q postgresql >&2
    bindir=$(find_bindir)
    [[ -n "$bindir" ]] || { log "postgresql installed but no initdb found under /usr/lib/postgresql"; exit 1; }
  fi
  if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    log "user postgres is missing (the postgresql package creates it)"; exit 1
  fi

  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/chatmesh-pg.XXXXXX")
  chmod 755 "$dir"
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir"; fi
  as_owner "$bindir/initdb" -D "$dir/data" -A trust -U chatmesh -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; exit 1; }

  local port
  port=$(pick_port) || { rm -rf "$dir"; exit 1; }
  if ! as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=60" start >&2; then
    log "PostgreSQL did not start on 127.0.0.1:$port; its log:"
    cat "$dir/server.log" >&2 || true; rm -rf "$dir"; exit 1
  fi
  as_owner "$bindir/psql" -h 127.0.0.1 -p "$port" -U chatmesh -d postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE DATABASE chatmesh" >&2
  local url="jdbc:postgresql://127.0.0.1:$port/chatmesh?user=chatmesh"
  echo "$url" >"$dir/url"
  log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $dir"
  echo "export CHATMESH_PG_URL='$url'"
  echo "export CHATMESH_PG_DIR='$dir'"
}

stop() {
  local dir=${1:-${CHATMESH_PG_DIR:-}}
  [[ -n "$dir" ]] || { log "stop: no directory given and CHATMESH_PG_DIR is not set"; exit 1; }
  [[ -d "$dir/data" ]] || { log "stop: $dir holds no cluster"; exit 0; }
  local bindir
  bindir=$(find_bindir)
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2 || log "pg_ctl stop failed (already stopped?)"
  rm -rf "$dir"
  log "stopped and removed $dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop [dir]" >&2; exit 2 ;;
esac
