#!/usr/bin/env bash
# Runs the demo image for real on a machine that reaches no container registry (how it was checked
# where it was written; not part of CI). Needs root, Debian's docker.io (its dockerd; `apt-get
# install -y docker.io`) and a JDK 17 with jmods (Debian's openjdk-17-jdk-headless + openjdk-17-jmods).
#
#  1. a stand-in for the JRE base image: jlink of the machine's JDK 17 plus the libraries it links,
#     imported as local/chatmesh-jre17 (NOT eclipse-temurin: that one is pulled from its registry)
#  2. a private dockerd without networking of its own (no bridge, no iptables; socket under WORK)
#  3. the image built by the README's command (-Pimage) on that base, then `docker load`
#  4. three nodes in containers on the host's loopback (ports 0, --read-only, /tmp a tmpfs, 512 MiB):
#     all ready, each sees 2 peers in /metrics, compose.yaml's health check command answers 0 inside
#  5. the image's default arguments in a container without network: ready through the same check
# Everything it started is stopped at exit. Usage: deploy/check-image-locally.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-$(mktemp -d /tmp/chatmesh-image-check.XXXXXX)}
JDK=${JDK:-/usr/lib/jvm/java-17-openjdk-amd64}
IMAGE=chatmesh-demo:0.1.0-SNAPSHOT
export DOCKER_HOST=unix://$WORK/docker.sock
CHECK=(java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx32m -cp /app/classes io.chatmesh.examples.HttpCheck)
containers=()
cleanup() {
  [[ ${#containers[@]} -gt 0 ]] && docker rm -f "${containers[@]}" >/dev/null 2>&1 || true
  if [[ -f $WORK/dockerd.pid ]]; then
    pid=$(cat "$WORK/dockerd.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  umount "$WORK/exec/netns/default" 2>/dev/null || true # dockerd's own network namespace file
}
trap cleanup EXIT

echo "1. base image from $JDK"
rm -rf "$WORK/rootfs" && mkdir -p "$WORK/rootfs/opt/java" "$WORK/rootfs/etc"
"$JDK/bin/jlink" --add-modules ALL-MODULE-PATH --strip-debug --no-header-files --no-man-pages \
  --output "$WORK/rootfs/opt/java/openjdk" 2>/dev/null
libs=$(for f in "$WORK/rootfs/opt/java/openjdk/bin/java" $(find "$WORK/rootfs/opt/java/openjdk/lib" -name '*.so'); do
  ldd "$f" 2>/dev/null; done | grep -o '/[^ ]*' | grep -v "^$WORK" | sort -u)
for l in $libs /usr/lib/x86_64-linux-gnu/libnss_dns.so.2 /usr/lib/x86_64-linux-gnu/libnss_files.so.2; do
  mkdir -p "$WORK/rootfs$(dirname "$l")" && cp -L "$l" "$WORK/rootfs$l"
done
mkdir -m 1777 "$WORK/rootfs/tmp"
cp /etc/nsswitch.conf "$WORK/rootfs/etc/"

echo "2. dockerd on $DOCKER_HOST"
/usr/sbin/dockerd --iptables=false --ip6tables=false --bridge=none --data-root "$WORK/root" \
  --exec-root "$WORK/exec" -H "$DOCKER_HOST" --pidfile "$WORK/dockerd.pid" >"$WORK/dockerd.log" 2>&1 &
for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
tar -C "$WORK/rootfs" -c . | docker import --change 'ENV PATH=/opt/java/openjdk/bin:/usr/bin:/bin' - local/chatmesh-jre17 >/dev/null

echo "3. mvn -Pimage on docker://local/chatmesh-jre17"
mvn -B -q -pl examples -am package -DskipTests -Pimage -Dimage.base=docker://local/chatmesh-jre17 -Dchatmesh.javadoc.skip=true
docker load -i examples/target/chatmesh-demo-image.tar

echo "4. three nodes on loopback"
ready_line() { # the READY line a node prints once it is up
  for _ in $(seq 1 120); do
    docker logs "$1" 2>&1 | grep -m1 '^READY' && return 0
    sleep 1
  done
  docker logs "$1" >&2; return 1
}
seeds=""
declare -A http
for n in n1 n2 n3; do
  containers+=("$(docker run -d --network host --read-only --tmpfs /tmp --memory 512m "$IMAGE" \
    --node "$n" --host 127.0.0.1 --grpc-port 0 --ws-port 0 ${seeds:+--peers "$seeds"})")
  line=$(ready_line "${containers[-1]}")
  http[$n]=$(sed -E 's/.*=ws:([0-9]+),.*/\1/' <<<"$line")
  grpc=$(sed -E 's/.*,grpc:([^ ]+).*/\1/' <<<"$line")
  seeds=${seeds:+$seeds,}$grpc
done
for n in n1 n2 n3; do
  for _ in $(seq 1 120); do
    live=$(curl -s "http://127.0.0.1:${http[$n]}/metrics" | sed -nE "s/^chatmesh_peers_live\{node=\"$n\"\} ([0-9.]+)/\1/p")
    [[ $live == 2.0 ]] && break
    sleep 1
  done
  [[ $live == 2.0 ]] || { echo "FAIL: $n sees ${live:-no} peers"; exit 1; }
  i=$(( ${n#n} - 1 ))
  docker exec "${containers[$i]}" "${CHECK[@]}" "http://127.0.0.1:${http[$n]}/readyz"
  uid=$(awk '/^Uid/ {print $2}' "/proc/$(docker inspect -f '{{.State.Pid}}' "${containers[$i]}")/status")
  echo "   $n: /readyz 200 through HttpCheck, 2 peers, uid $uid"
  [[ $uid == 10001 ]]
done

echo "5. default arguments, no network"
containers+=("$(docker run -d --network none --read-only --tmpfs /tmp "$IMAGE")")
for _ in $(seq 1 120); do
  docker exec "${containers[-1]}" "${CHECK[@]}" http://127.0.0.1:8081/readyz 2>/dev/null && break
  sleep 1
done
docker exec "${containers[-1]}" "${CHECK[@]}" http://127.0.0.1:8081/readyz
echo "   ready: $(docker logs "${containers[-1]}" 2>&1 | grep -m1 '^READY')"
echo "OK: the image runs (on a jlink'ed stand-in for its JRE base)"
