#!/usr/bin/env bash
# A throw-away certificate authority and a server certificate for localhost / 127.0.0.1, for test servers
# (Dovecot's imaps, PostgreSQL's TLS). Writes DIR/tls/{ca.pem,cert.pem,key.pem}; does nothing if they exist.
#   infra/tls.sh DIR
set -euo pipefail
dir="$1/tls"
[ -f "$dir/cert.pem" ] && exit 0
mkdir -p "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mailferry test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
  -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$dir/key.pem" -out "$dir/cert.csr" >/dev/null 2>&1
printf 'basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$dir/ext.cnf"
openssl x509 -req -in "$dir/cert.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 3650 \
  -extfile "$dir/ext.cnf" -out "$dir/cert.pem" >/dev/null 2>&1
chmod 600 "$dir/key.pem" "$dir/ca.key"
