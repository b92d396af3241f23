#!/usr/bin/env bash
# Makes a DEV certificate authority and one certificate per chatmesh node, for mutual TLS between
# nodes (GrpcTls / the demo's --tls-dir). NOT for production: the CA key is left unencrypted.
#
#   examples/dev-ca.sh DIR n1 n2 n3
#
# writes DIR/ca.pem + DIR/ca.key (made once, reused when present) and, per node id,
# DIR/<id>/ca.pem, DIR/<id>/node.pem, DIR/<id>/node.key: an EC P-256 key (PKCS#8) and a
# certificate valid for 825 days whose subject alternative names are the URI
# urn:chatmesh:node:<id> (what a peer checks against every envelope's sender), DNS localhost and
# IP 127.0.0.1. It also writes DIR/<id>/gateway.pem + gateway.key: a server certificate for the
# WebSocket gateway (DNS localhost, IP 127.0.0.1; serverAuth only), which the demo's gateway then
# serves as https:// and wss:// (a browser trusts it only after you import DIR/ca.pem as an
# authority). Running it again for an id renews that node's certificates; a running node picks the
# new files up within a minute. Needs openssl 1.1.1 or later.
set -euo pipefail
if [[ $# -lt 2 ]]; then
  echo "usage: $0 DIR NODE_ID [NODE_ID ...]" >&2
  exit 2
fi
dir=$1
shift
mkdir -p "$dir"
umask 077
if [[ ! -f "$dir/ca.key" ]]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key"
  openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 3650 -subj "/CN=chatmesh dev CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.pem"
  echo "made dev CA $dir/ca.pem" >&2
fi
for id in "$@"; do
  if [[ ! "$id" =~ ^[A-Za-z0-9._-]{1,64}$ ]]; then
    echo "$0: node id '$id' must be 1-64 of A-Z a-z 0-9 . _ -" >&2
    exit 2
  fi
  out="$dir/$id"
  mkdir -p "$out"
  ext=$(mktemp)
  trap 'rm -f "$ext" "$ext.gw" "$out/node.csr" "$out/gateway.csr"' EXIT
  cat > "$ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=URI:urn:chatmesh:node:$id,DNS:localhost,IP:127.0.0.1
EXT
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/node.key"
  openssl req -new -key "$out/node.key" -subj "/CN=chatmesh node $id" -out "$out/node.csr"
  openssl x509 -req -in "$out/node.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 825 -sha256 -extfile "$ext" -out "$out/node.pem" 2>/dev/null
  cat > "$ext.gw" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
EXT
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/gateway.key"
  openssl req -new -key "$out/gateway.key" -subj "/CN=chatmesh gateway $id" -out "$out/gateway.csr"
  # the certificate, then the CA: the chain a client needs besides the CA it trusts
  openssl x509 -req -in "$out/gateway.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 825 -sha256 -extfile "$ext.gw" 2>/dev/null | cat - "$dir/ca.pem" > "$out/gateway.pem"
  cp "$dir/ca.pem" "$out/ca.pem"
  rm -f "$ext" "$ext.gw" "$out/node.csr" "$out/gateway.csr"
  trap - EXIT
  echo "made $out/node.pem for node $id (urn:chatmesh:node:$id) and $out/gateway.pem (https/wss)" >&2
done
