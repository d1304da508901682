#!/usr/bin/env bash
# Start or stop one moto server (the local AWS APIs) on 127.0.0.1 for manual work and scripts.
#   infra/moto.sh start   -> prints "export AWS_ENDPOINT_URL=http://127.0.0.1:PORT" (plus dummy credentials)
#   infra/moto.sh stop
# Tests do not use this: each test binary starts its own moto (tests/src/moto.rs).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${MAILFERRY_RUN_DIR:-$here/run}/moto"
bin="$here/.venv/bin/moto_server"

case "${1:-}" in
  start)
    [ -x "$bin" ] || { echo "moto.sh: $bin is missing: run infra/install.sh" >&2; exit 1; }
    mkdir -p "$dir"
    if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "moto.sh: already running" >&2
    else
      : >"$dir/log"
      "$bin" -H 127.0.0.1 -p 0 >>"$dir/log" 2>&1 &
      echo $! >"$dir/pid"
      for _ in $(seq 1 100); do
        port="$(sed -n 's#.*Running on http://127.0.0.1:\([0-9]*\).*#\1#p' "$dir/log" | head -n1)"
        [ -n "$port" ] && break
        sleep 0.1
      done
      [ -n "${port:-}" ] || { cat "$dir/log" >&2; echo "moto.sh: moto did not start" >&2; exit 1; }
      echo "$port" >"$dir/port"
    fi
    port="$(cat "$dir/port")"
    echo "export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test"
    ;;
  stop)
    if [ -f "$dir/pid" ]; then kill "$(cat "$dir/pid")" 2>/dev/null || true; rm -f "$dir/pid" "$dir/port"; echo "stopped moto"; fi
    ;;
  *) echo "usage: infra/moto.sh start|stop" >&2; exit 1 ;;
esac
